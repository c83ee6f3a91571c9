// The FC web-function server (custom runtime): the module's routes, /healthz, JSON 404/405, and FC's control
// paths: event calls on POST /invoke with the context FC's headers describe, /initialize, /pre-stop; and a
// close() that lets requests in flight finish before the deps are closed.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/config.ts';
import type { Deps } from '../../shared/deps/deps.ts';
import { httpFunction } from '../../shared/http/http-function.ts';
import { sendJson } from '../../shared/http/respond.ts';
import { serveWebFunction, type WebFunctionServer } from '../../shared/http/web-function.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import { FcCredentials } from '../../shared/runtime/fc-credentials.ts';
import type { FcContext, FunctionModule } from '../../shared/runtime/fc.ts';

let closedDeps = 0;
const credentials = new FcCredentials({});
const deps = { config: loadConfig({ FC_FUNCTION_NAME: 'fixture-fn', RUNTIME_MODE: 'local' }), logger: silentLogger, credentials, close: async () => void closedDeps++ } as unknown as Deps;

const seen: { event: string; context: FcContext }[] = [];
let release: (() => void) | undefined;
/** Told when the slow route's request is inside the handler, held there until `release`. */
let slowArrived: () => void = () => undefined;
const mod: FunctionModule = {
  routes: [
    { method: 'GET', path: '/v1/items/:id' },
    { method: 'POST', path: '/v1/slow' },
  ],
  // as every function: through the HTTP wrapper, which routes the request
  createHttpHandler: () =>
    httpFunction(
      {
        routes: [
          { method: 'GET', path: '/v1/items/:id' },
          { method: 'POST', path: '/v1/slow' },
        ],
        auth: () => ({ tenant: 'local', role: 'admin', limits: {}, budgets: {} }),
        corsOrigins: [],
        async serve({ req, res }) {
          if (req.url === '/v1/slow') {
            await new Promise<void>((r) => {
              release = r;
              slowArrived();
            });
          }
          sendJson(res, 200, { url: req.url, requestId: req.headers['x-fc-request-id'] });
        },
      },
      silentLogger,
    ),
  createEventHandler: () => async (event, context) => {
    seen.push({ event: event.toString('utf8'), context });
    if (event.toString('utf8') === 'fail') throw new Error('event handler failed');
    return { handled: true };
  },
};

let srv: WebFunctionServer;
const markers: string[] = [];
afterEach(async () => {
  release?.();
  await srv?.close();
});
const start = async () => {
  srv = await serveWebFunction(mod, deps, 0, { host: '127.0.0.1', handleSignals: false, drainMs: 2000, markers: (l) => markers.push(l) });
  return srv.url;
};

describe('serveWebFunction', () => {
  it('serves /healthz and the module routes, with FC markers around each request', async () => {
    const url = await start();
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true, function: 'fixture-fn' });
    const res = await fetch(`${url}/v1/items/7`, { headers: { 'x-fc-request-id': 'fc-req-1' } });
    expect(await res.json()).toEqual({ url: '/v1/items/7', requestId: 'fc-req-1' });
    expect(markers).toContain('FC Invoke Start RequestId: fc-req-1');
    expect(markers).toContain('FC Invoke End RequestId: fc-req-1');
  });

  it('answers unknown paths with a JSON 404 and wrong methods with a JSON 405 and Allow', async () => {
    const url = await start();
    const missing = await fetch(`${url}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const wrong = await fetch(`${url}/v1/items/7`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  it('runs POST /invoke (control path /invoke) through the event handler with the context from FC headers', async () => {
    const url = await start();
    const res = await fetch(`${url}/invoke`, {
      method: 'POST',
      headers: { 'x-fc-control-path': '/invoke', 'x-fc-request-id': 'evt-1', 'x-fc-function-name': 'fn-a', 'x-fc-function-timeout': '300', 'x-fc-region': 'cn-beijing', 'content-type': 'application/octet-stream' },
      body: '{"triggerName":"t"}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-fc-status')).toBe('200');
    expect(await res.json()).toEqual({ handled: true });
    const call = seen.find((s) => s.context.requestId === 'evt-1')!;
    expect(call.event).toBe('{"triggerName":"t"}');
    expect(call.context).toMatchObject({ requestId: 'evt-1', function: { name: 'fn-a', timeout: 300 }, region: 'cn-beijing', deadlineMs: 300_000 });
  });

  it('hands the role credentials FC sends with each request to the deps, the newest winning', async () => {
    const url = await start();
    const send = (id: string, path: string, init: RequestInit = {}) =>
      fetch(`${url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-fc-access-key-id': id, 'x-fc-access-key-secret': 'secret', 'x-fc-security-token': 'token' } });
    await send('STS.http', '/v1/items/1');
    expect(credentials.current()).toEqual({ accessKeyId: 'STS.http', accessKeySecret: 'secret', securityToken: 'token' });
    await send('STS.event', '/invoke', { method: 'POST', headers: { 'x-fc-control-path': '/invoke' }, body: '{}' });
    expect(credentials.current().accessKeyId).toBe('STS.event');
  });

  it('ignores an STS key sent without its token (Debian 11+ runtimes send none): the last whole credentials sign', async () => {
    const url = await start();
    const headers = { 'x-fc-access-key-id': 'STS.whole', 'x-fc-access-key-secret': 'secret', 'x-fc-security-token': 'token' };
    await fetch(`${url}/v1/items/1`, { headers });
    await fetch(`${url}/v1/items/2`, { headers: { 'x-fc-access-key-id': 'STS.no-token', 'x-fc-access-key-secret': 'secret' } });
    expect(credentials.current()).toEqual({ accessKeyId: 'STS.whole', accessKeySecret: 'secret', securityToken: 'token' });
  });

  it('reports a failed event invocation to FC with status 404 and x-fc-status 404', async () => {
    const url = await start();
    const res = await fetch(`${url}/invoke`, { method: 'POST', headers: { 'x-fc-control-path': '/invoke' }, body: 'fail' });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-fc-status')).toBe('404');
    expect(await res.json()).toEqual({ errorType: 'Error', errorMessage: 'event handler failed' });
  });

  it('acknowledges /initialize and GET /pre-stop', async () => {
    const url = await start();
    expect((await fetch(`${url}/initialize`, { method: 'POST', headers: { 'x-fc-control-path': '/initialize' } })).status).toBe(200);
    expect((await fetch(`${url}/pre-stop`)).status).toBe(200);
  });

  it('lets a request in flight finish on close() and closes the deps after it', async () => {
    const url = await start();
    const before = closedDeps;
    const inHandler = new Promise<void>((r) => (slowArrived = r));
    const slow = fetch(`${url}/v1/slow`, { method: 'POST' });
    await inHandler;
    const closing = srv.close();
    expect(closedDeps).toBe(before);
    release!();
    const res = await slow;
    expect(res.status).toBe(200);
    await closing;
    expect(closedDeps).toBe(before + 1);
    release = undefined;
  });
});
