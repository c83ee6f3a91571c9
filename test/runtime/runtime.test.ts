// The local runtime's trigger wiring, in process, on fixture functions named by a temporary s.yaml: adding a
// function with a trigger to s.yaml is all it takes to have it served (HTTP routes, timers, OSS events,
// EventBridge events), with FC's payloads, async retries and JSON 404/405 errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionLoadError } from '../../dev/runtime/functions.ts';
import { RouteConflictError } from '../../dev/runtime/route-table.ts';
import { startRuntime, type Runtime } from '../../dev/runtime/runtime.ts';
import { EVENT_SOURCE, type DomainEvent } from '../../shared/ports/event-bus.ts';
import { ossEventSchema, timerEventSchema } from '../../shared/runtime/fc.ts';

const FUNCTIONS = join(import.meta.dirname, 'fixtures', 'functions');

const S_YAML = `
edition: 3.0.0
name: runtime-fixture
vars:
  region: cn-beijing
  slowMs: \${env('TICKER_MS', '120')}
resources:
  echo-http:
    component: fc3
    props:
      region: \${vars.region}
      functionName: fixture-echo-http
      runtime: custom.debian10
      code: ./dist/echo-http
      timeout: 10
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig: { authType: anonymous, methods: [GET, POST] }
  ticker:
    component: fc3
    props:
      region: \${vars.region}
      functionName: fixture-ticker
      runtime: nodejs20
      code: ./dist/ticker
      handler: index.handler
      timeout: 5
      triggers:
        - triggerName: fast-tick
          triggerType: timer
          triggerConfig: { cronExpression: '@every 1m', enable: true, payload: '\${vars.slowMs}' }
        - triggerName: disabled-tick
          triggerType: timer
          triggerConfig: { cronExpression: '@every 1m', enable: false }
  oss-watcher:
    component: fc3
    props:
      region: \${vars.region}
      functionName: fixture-oss-watcher
      runtime: nodejs20
      code: ./dist/oss-watcher
      handler: index.handler
      timeout: 5
      triggers:
        - triggerName: uploads
          triggerType: oss
          sourceArn: acs:oss:cn-beijing:\${config('AccountID')}:bucket
          triggerConfig:
            events: ['oss:ObjectCreated:*']
            filter: { key: { prefix: uploads/, suffix: .json } }
  bus-listener:
    component: fc3
    props:
      region: \${vars.region}
      functionName: fixture-bus-listener
      runtime: nodejs20
      code: ./dist/bus-listener
      handler: index.handler
      triggers:
        - triggerName: persisted
          triggerType: eventbridge
          triggerConfig:
            triggerEnable: true
            eventRuleFilterPattern: '{"source":["${EVENT_SOURCE}"],"type":["task.persisted"]}'
            eventSourceConfig: { eventSourceType: Default }
  not-a-function:
    component: some-other-component
    props: { anything: true }
`;

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'runtime-'));
  dirs.push(d);
  return d;
}
function writeYaml(text: string): string {
  const file = join(tempDir(), 's.yaml');
  writeFileSync(file, text);
  return file;
}
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PORT: '0',
  DATA_DIR: join(tempDir(), 'data'),
  LOCAL_TIMER_INTERVAL_MS: '50',
  LOG_LEVEL: 'silent',
  // A key, so these tests run against "real DashScope" config and never start the emulator (nothing calls it).
  DASHSCOPE_API_KEY: 'sk-test-not-used',
  DASHSCOPE_BASE_URL: 'http://127.0.0.1:9',
  ...extra,
});

let rt: Runtime;
const lines: string[] = [];
beforeAll(async () => {
  rt = await startRuntime({ env: env(), sYamlPath: writeYaml(S_YAML), functionsRoot: FUNCTIONS, log: (l) => lines.push(l), asyncRetryBaseMs: 5 });
});
afterAll(async () => {
  await rt?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Whether an invocation's event payload mentions `text` (HTTP records have no payload). */
const mentions = (r: { event?: unknown }, text: string): boolean => JSON.stringify(r.event ?? null).includes(text);
const json = async (res: Response) => (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string; request_id: string } };

describe('local runtime', () => {
  it('prints every route with its function and every timer and OSS trigger it wired', () => {
    const text = lines.join('\n');
    expect(text).toMatch(/POST\s+\/v1\/echo\s+→ echo-http/);
    expect(text).toMatch(/GET\s+\/v1\/echo\/:id\s+→ echo-http/);
    expect(text).toContain('timer  ticker/fast-tick: every 50 ms locally (cloud schedule: @every 1m)');
    expect(text).not.toContain('disabled-tick');
    expect(text).toContain('oss    oss-watcher/uploads: oss:ObjectCreated:* on keys uploads/*.json');
    expect(text).toContain('events bus-listener/persisted');
    expect(text).toContain('PUT /v1/echo of echo-http is not served: its http trigger allows only GET, POST');
  });

  it('answers /healthz with the functions, the mode and the DashScope target', async () => {
    const res = await fetch(`${rt.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      ok: true,
      mode: 'local',
      functions: ['echo-http', 'ticker', 'oss-watcher', 'bus-listener'],
      dashscope: { target: 'dashscope', baseUrl: 'http://127.0.0.1:9' },
    });
  });

  it('routes HTTP requests to the function that declares the route, with the request id it was given', async () => {
    const res = await fetch(`${rt.url}/v1/echo/abc`, { headers: { 'x-request-id': 'req-123' } });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ id: 'abc', requestId: 'req-123' });
    await rt.invocations.waitFor((r) => r.fn === 'echo-http' && r.requestId === 'req-123' && r.triggerType === 'http');
  });

  it('answers an unknown path with a JSON 404 and a wrong method with a JSON 405 and Allow', async () => {
    const missing = await fetch(`${rt.url}/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error).toMatchObject({ code: 'not_found', type: 'not_found_error' });
    const wrong = await fetch(`${rt.url}/v1/echo`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await json(wrong)).error?.code).toBe('method_not_allowed');
    const notInTrigger = await fetch(`${rt.url}/v1/echo`, { method: 'PUT', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(notInTrigger.status).toBe(405);
  });

  it('turns a throwing HTTP function into a JSON 500 that hides the internal message', async () => {
    const res = await fetch(`${rt.url}/v1/echo/boom`);
    expect(res.status).toBe(500);
    const body = await json(res);
    expect(body.error?.code).toBe('internal_error');
    expect(body.error?.message).not.toContain('kaboom');
  });

  it('fires the timer with FC timer payloads and never starts a run while the previous one is running', async () => {
    await rt.invocations.waitFor((r) => r.fn === 'ticker' && rt.invocations.all().filter((x) => x.fn === 'ticker' && x.ok).length >= 3);
    const runs = rt.invocations.all().filter((r) => r.fn === 'ticker');
    expect(new Set(runs.map((r) => r.trigger))).toEqual(new Set(['fast-tick']));
    const event = timerEventSchema.parse(runs[0]!.event);
    expect(event).toMatchObject({ triggerName: 'fast-tick', payload: '120' });
    expect(event.triggerTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Ticks come every 50 ms and a run takes 120 ms: each run must start after the previous one ended.
    for (let i = 1; i < runs.length; i++) expect(runs[i - 1]!.endedAt !== undefined && runs[i]!.startedAt >= runs[i - 1]!.endedAt!).toBe(true);
  });

  it('delivers FC OSS events only for keys matching the trigger prefix and suffix', async () => {
    const put = await fetch(`${rt.url}/v1/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: 'uploads/a.json', text: '{"x":1}' }) });
    expect(put.status).toBe(201);
    await rt.deps.objects.put('uploads/b.txt', Buffer.from('no'), { contentType: 'text/plain' });
    await rt.deps.objects.put('other/c.json', Buffer.from('{}'), { contentType: 'application/json' });
    await rt.deps.objects.put('uploads/d.json', Buffer.from('{}'), { contentType: 'application/json' });
    await rt.invocations.waitFor((r) => r.fn === 'oss-watcher' && mentions(r, 'uploads/d.json'));
    await rt.invocations.waitFor((r) => r.fn === 'oss-watcher' && mentions(r, 'uploads/a.json'));
    const keys = rt.invocations
      .all()
      .filter((r) => r.fn === 'oss-watcher')
      .map((r) => ossEventSchema.parse(r.event).events[0]!.oss.object.key);
    expect(keys.filter((k) => !k.includes('flaky') && !k.includes('always-fail')).sort()).toEqual(['uploads/a.json', 'uploads/d.json']);
    const event = ossEventSchema.parse(rt.invocations.all().find((r) => mentions(r, 'uploads/a.json'))!.event);
    expect(event.events[0]).toMatchObject({ eventName: 'ObjectCreated:PutObject', eventSource: 'acs:oss', oss: { object: { key: 'uploads/a.json', size: 7 } } });
  });

  it('retries a failing OSS invocation like FC async calls and stops at the first success', async () => {
    await rt.deps.objects.put('uploads/flaky-1.json', Buffer.from('{}'), { contentType: 'application/json' });
    const ok = await rt.invocations.waitFor((r) => r.fn === 'oss-watcher' && r.ok === true && mentions(r, 'flaky-1'));
    expect(ok.retryCount).toBe(2);
    const attempts = rt.invocations.all().filter((r) => mentions(r, 'flaky-1'));
    expect(attempts.map((r) => [r.retryCount, r.ok])).toEqual([
      [0, false],
      [1, false],
      [2, true],
    ]);
  });

  it('gives up after 3 retries (4 attempts) of an OSS invocation that always fails', async () => {
    await rt.deps.objects.put('uploads/always-fail.json', Buffer.from('{}'), { contentType: 'application/json' });
    await rt.invocations.waitFor((r) => r.fn === 'oss-watcher' && r.dropped === true && mentions(r, 'always-fail'));
    const attempts = rt.invocations.all().filter((r) => mentions(r, 'always-fail'));
    expect(attempts.map((r) => r.retryCount)).toEqual([0, 1, 2, 3]);
    expect(attempts.every((r) => r.ok === false)).toBe(true);
  });

  it('delivers bus events that match an eventbridge trigger pattern, with the EventBridge envelope', async () => {
    const base = { specversion: '1.0', source: EVENT_SOURCE, subject: 'task_1', time: new Date().toISOString(), datacontenttype: 'application/json', data: { taskId: 'task_1' } } as const;
    const persisted: DomainEvent = { ...base, id: 'task_1.task.persisted', type: 'task.persisted' };
    const failed: DomainEvent = { ...base, id: 'task_1.task.failed', type: 'task.failed' };
    await rt.deps.events.publish([failed, persisted]);
    const r = await rt.invocations.waitFor((x) => x.fn === 'bus-listener');
    expect(r.ok).toBe(true);
    expect(r.event).toMatchObject({ id: persisted.id, type: 'task.persisted', aliyuneventbusname: 'dashscope-fc' });
    await rt.deps.events.idle();
    expect(rt.invocations.all().filter((x) => x.fn === 'bus-listener')).toHaveLength(1);
  });

  it('serves local object URLs handed out by the object store', async () => {
    await rt.deps.objects.put('media/x.txt', Buffer.from('hello'), { contentType: 'text/plain' });
    const url = await rt.deps.objects.url('media/x.txt', 60);
    expect(url.startsWith(`${rt.url}/_oss/media/x.txt?`)).toBe(true);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello');
  });
});

describe('local runtime without a DashScope key', () => {
  it('starts the emulator and points the DashScope client, key and persist allowlist at it', async () => {
    const yaml = `
resources:
  ticker:
    component: fc3
    props: { functionName: t, runtime: nodejs20, handler: index.handler, code: ./dist/ticker, triggers: [{ triggerName: t, triggerType: timer, triggerConfig: { cronExpression: '@every 1m', enable: false } }] }
`;
    const out: string[] = [];
    const noKey = env({ EMULATOR_PORT: '0', RESULT_HOST_ALLOWLIST: '*.aliyuncs.com' });
    delete noKey.DASHSCOPE_API_KEY;
    delete noKey.DASHSCOPE_BASE_URL;
    const local = await startRuntime({ env: noKey, sYamlPath: writeYaml(yaml), functionsRoot: FUNCTIONS, log: (l) => out.push(l) });
    try {
      const emulator = local.emulator!;
      expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(out.join('\n')).toContain(`DashScope emulator started at ${emulator.url}`);
      expect(local.deps.config).toMatchObject({ DASHSCOPE_API_KEY: emulator.apiKey, DASHSCOPE_BASE_URL: emulator.url, dashscopeOrigin: emulator.url });
      expect(local.deps.config.RESULT_HOST_ALLOWLIST).toEqual(['*.aliyuncs.com', emulator.url]);
      const health = await json(await fetch(`${local.url}/healthz`));
      expect(health.dashscope).toEqual({ target: 'emulator', baseUrl: emulator.url });
    } finally {
      await local.close();
    }
    expect(out).toContain('local runtime stopped');
  });
});

describe('local runtime start-up checks', () => {
  it('refuses to start when two functions declare overlapping routes', async () => {
    const yaml = `
resources:
  echo-http:
    component: fc3
    props: { functionName: a, runtime: nodejs20, code: ./dist/echo-http, triggers: [{ triggerName: http, triggerType: http, triggerConfig: { methods: [GET, POST] } }] }
  echo-clone:
    component: fc3
    props: { functionName: b, runtime: nodejs20, code: ./dist/echo-clone, triggers: [{ triggerName: http, triggerType: http, triggerConfig: { methods: [GET] } }] }
`;
    const err = await startRuntime({ env: env(), sYamlPath: writeYaml(yaml), functionsRoot: FUNCTIONS }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RouteConflictError);
    expect((err as Error).message).toContain('GET /v1/echo/:name of echo-clone conflicts with GET /v1/echo/:id of echo-http');
  });

  it('refuses to start when an s.yaml function has no module under the functions root', async () => {
    const yaml = `
resources:
  ghost:
    component: fc3
    props: { functionName: ghost, runtime: nodejs20, handler: index.handler, code: ./dist/ghost, triggers: [{ triggerName: t, triggerType: timer, triggerConfig: { cronExpression: '@every 1m' } }] }
`;
    await expect(startRuntime({ env: env(), sYamlPath: writeYaml(yaml), functionsRoot: FUNCTIONS })).rejects.toBeInstanceOf(FunctionLoadError);
  });
});
