// `npm run ops` against the FC API, Table Store and EventBridge stand-ins, wired from the environment as an
// operator runs it: each command's request, what it prints, and its exit code; a bad signature is refused.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeEventBus } from '../../shared/adapters/eventbridge/eventbridge-event-bus.ts';
import { TablestoreClient } from '../../shared/adapters/tablestore/tablestore-client.ts';
import { TablestoreTaskStore } from '../../shared/adapters/tablestore/tablestore-task-store.ts';
import { createTaskTables, taskTableNames } from '../../shared/adapters/tablestore/task-tables.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import { parseEvent, timerEventSchema } from '../../shared/runtime/fc.ts';
import { handleCreatedObjects } from '../../shared/runtime/oss-records.ts';
import { startEventBridgeStandin, type EventBridgeStandin } from '../../dev/standins/eventbridge/server.ts';
import { startFcStandin, type FcStandin, type InvokeResult } from '../../dev/standins/fc/fc-standin.ts';
import { TablestoreStandin } from '../../dev/standins/tablestore/tablestore-standin.ts';
import { runOps, type RecentEvents } from '../../scripts/ops/ops-commands.ts';
import { opsDepsFromEnv } from '../../scripts/ops/ops-wiring.ts';
import { makeTask } from '../contract/task-store-contract.ts';

// one obviously fake operator key, accepted by both stand-ins
const KEY = { accessKeyId: 'LTAIopstest0000000001', accessKeySecret: 'ops-test-secret-0001' };
const NOW = new Date('2030-05-06T07:08:09.123Z');
const FUNCTIONS = { chat: 'dashscope-fc-chat-stream', submit: 'dashscope-fc-submit-task', poll: 'dashscope-fc-poll-task', persist: 'dashscope-fc-persist-to-oss' };

let fc: FcStandin;
let ots: TablestoreStandin;
let eb: EventBridgeStandin;
const invoked: { fn: string; body: string }[] = [];
let answer: (fn: string, body: string) => Promise<InvokeResult>;

beforeAll(async () => {
  ots = await new TablestoreStandin({ credentials: [KEY] }).start();
  // events arrive a minute before the operator's NOW; the client signs with the real date, so the date check is widened
  eb = await startEventBridgeStandin({ credentials: [KEY], buses: ['dashscope-fc'], now: () => NOW.getTime() - 60_000, maxClockSkewMs: Number.MAX_SAFE_INTEGER });
  await createTaskTables(new TablestoreClient({ endpoint: ots.endpoint, instance: ots.instance, credentials: () => KEY }), taskTableNames('ops_'));
  const http = (name: string) => [{ triggerName: 'http', triggerType: 'http', httpTrigger: { urlInternet: `https://${name}.fcapp.run`, urlIntranet: `https://${name}.cn-beijing-vpc.fcapp.run` } }];
  fc = await startFcStandin({
    functions: {
      [FUNCTIONS.chat]: http('chat'),
      [FUNCTIONS.submit]: [...http('submit'), { triggerName: 'inbox-upload', triggerType: 'oss' }],
      [FUNCTIONS.poll]: [{ triggerName: 'every-minute', triggerType: 'timer' }],
      [FUNCTIONS.persist]: [{ triggerName: 'result-manifest', triggerType: 'oss' }],
    },
    invoke: async (fn, body) => {
      invoked.push({ fn, body: body.toString('utf8') });
      return answer(fn, body.toString('utf8'));
    },
    credentials: [KEY],
  });
});

afterAll(async () => {
  await fc?.close();
  await ots?.stop();
  await eb?.close();
});

beforeEach(() => {
  invoked.length = 0;
  answer = async () => ({ status: 200, body: '{}' });
});

const ENV = () => ({
  PATH: process.env.PATH,
  FC_ENDPOINT: fc.origin,
  FC_REGION: 'cn-beijing',
  FC_ACCOUNT_ID: '1234567890123456',
  OTS_ENDPOINT: ots.endpoint,
  OTS_INSTANCE: ots.instance,
  OTS_TABLE_PREFIX: 'ops_',
  OSS_BUCKET: 'dashscope-fc-media',
  EVENTBRIDGE_ENDPOINT: `http://${eb.endpoint}`,
  ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret,
});

async function ops(argv: string[], env: NodeJS.ProcessEnv = ENV(), recentEvents?: RecentEvents) {
  const out: string[] = [];
  const err: string[] = [];
  const deps = opsDepsFromEnv({ env, out: (l) => out.push(l), err: (l) => err.push(l), now: () => NOW });
  const code = await runOps(argv, recentEvents ? { ...deps, recentEvents } : deps);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npm run ops', () => {
  it('urls: prints the internet and intranet URLs of the http triggers of chat-stream and submit-task', async () => {
    const r = await ops(['urls']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out.split('\n')).toEqual([
      `chat-stream   ${FUNCTIONS.chat} (trigger http)`,
      '  internet  https://chat.fcapp.run',
      '  intranet  https://chat.cn-beijing-vpc.fcapp.run',
      `submit-task   ${FUNCTIONS.submit} (trigger http)`,
      '  internet  https://submit.fcapp.run',
      '  intranet  https://submit.cn-beijing-vpc.fcapp.run',
    ]);
    expect(fc.requests().slice(-2).map((q) => `${q.action} ${q.functionName}`)).toEqual([`ListTriggers ${FUNCTIONS.chat}`, `ListTriggers ${FUNCTIONS.submit}`]);
  });

  it('urls: asks GetTrigger when ListTriggers leaves the URLs out, and says when there are none', async () => {
    const bare = { triggerName: 'http', triggerType: 'http' };
    const other = await startFcStandin({ functions: { [FUNCTIONS.chat]: [bare], [FUNCTIONS.submit]: [] }, invoke: async () => ({ status: 200, body: '{}' }), credentials: [KEY] });
    try {
      const r = await ops(['urls'], { ...ENV(), FC_ENDPOINT: other.origin });
      expect(r.code).toBe(1);
      expect(r.out.split('\n')).toEqual([`chat-stream   ${FUNCTIONS.chat} (trigger http)`, '  internet  (none)', '  intranet  (none)']);
      expect(r.err).toBe(`submit-task (${FUNCTIONS.submit}): no http trigger deployed`);
      expect(other.requests().map((q) => q.action)).toEqual(['ListTriggers', 'GetTrigger', 'ListTriggers']);
    } finally {
      await other.close();
    }
  });

  it("poll: invokes poll-task synchronously with s.yaml's timer event and prints its summary", async () => {
    answer = async () => ({ status: 200, body: JSON.stringify({ trigger: 'every-minute', polled: 3, succeeded: 1 }) });
    const r = await ops(['poll']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(r.out)).toEqual({ trigger: 'every-minute', polled: 3, succeeded: 1 });
    expect(invoked).toHaveLength(1);
    expect(invoked[0]!.fn).toBe(FUNCTIONS.poll);
    // exactly what poll-task's entry point parses
    expect(parseEvent(invoked[0]!.body, timerEventSchema)).toEqual({ triggerName: 'every-minute', triggerTime: '2030-05-06T07:08:09Z', payload: 'poll' });
    expect(fc.requests().at(-1)).toMatchObject({ action: 'InvokeFunction', invocationType: 'Sync', status: 200 });
  });

  it('poll: a function error is one line on stderr and exit 1', async () => {
    answer = async () => ({ status: 200, body: JSON.stringify({ errorMessage: 'TaskStoreError: tasks_by_due missing', errorType: 'TaskStoreError', stackTrace: ['at x'] }), errorType: 'UnhandledInvocationError' });
    const r = await ops(['poll']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^ops poll: dashscope-fc-poll-task failed \(UnhandledInvocationError\): TaskStoreError: TaskStoreError: tasks_by_due missing \(request id 1-[\w-]+\)$/);
  });

  it('redrive: invokes persist-to-oss with an OSS event its record loop hands the key, and prints its answer', async () => {
    answer = async () => ({ status: 200, body: JSON.stringify({ handled: [{ key: 'results/manifests/task_1.json', outcome: 'persisted' }] }) });
    const r = await ops(['redrive', 'results/manifests/task_1.json']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(r.out)).toEqual({ handled: [{ key: 'results/manifests/task_1.json', outcome: 'persisted' }] });
    expect(invoked.map((i) => i.fn)).toEqual([FUNCTIONS.persist]);
    const handled = await handleCreatedObjects(invoked[0]!.body, silentLogger, () => true, async (key) => key);
    expect(handled).toEqual([{ key: 'results/manifests/task_1.json', result: 'results/manifests/task_1.json' }]);
    const record = (JSON.parse(invoked[0]!.body) as { events: { eventName: string; oss: { bucket: { name: string; arn: string } } }[] }).events[0]!;
    expect(record.eventName).toBe('ObjectCreated:PutObject');
    expect(record.oss.bucket).toMatchObject({ name: 'dashscope-fc-media', arn: 'acs:oss:cn-beijing:1234567890123456:dashscope-fc-media' });
  });

  it('redrive: refuses a key outside results/manifests/ with usage and exit 2, invoking nothing', async () => {
    for (const key of ['inbox/task_1.json', 'results/manifests/../media/x.json', 'media/2030/05/06/task_1/0.png']) {
      const r = await ops(['redrive', key]);
      expect(r.code, key).toBe(2);
      expect(r.err).toContain(`ops: redrive: '${key}' is not a result manifest key (results/manifests/<taskId>.json)`);
    }
    expect(invoked).toEqual([]);
  });

  it('task: prints the task as stored in Table Store; an unknown id is exit 1', async () => {
    const task = makeTask({ status: 'RUNNING', dashscopeTaskId: 'ds-1' });
    await new TablestoreTaskStore(new TablestoreClient({ endpoint: ots.endpoint, instance: ots.instance, credentials: () => KEY }), taskTableNames('ops_')).create(task);
    const r = await ops(['task', task.id]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(r.out)).toEqual(task);
    expect(await ops(['task', 'task_nope'])).toEqual({ code: 1, out: '', err: 'task task_nope: not found' });
  });

  it("events: prints the bus's recent events from EventBridge, oldest first, one JSON line each", async () => {
    eb.reset();
    const event = (n: number, type: 'task.submitted' | 'task.persisted') => ({
      specversion: '1.0' as const, id: `task_${n}.${type}`, source: 'dashscope-fc' as const, type, subject: `task_${n}`,
      time: new Date(NOW.getTime() - (10 - n) * 60_000).toISOString(), datacontenttype: 'application/json' as const, data: { taskId: `task_${n}` },
    });
    await new EventBridgeEventBus({ endpoint: eb.endpoint, protocol: 'http', busName: 'dashscope-fc', credentials: () => KEY }).publish([event(2, 'task.persisted'), event(1, 'task.submitted')]);
    const r = await ops(['events', '--since', '1h']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out.split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([1, 2].map((n) => {
      const { id, source, type, subject, time, data } = event(n, n === 1 ? 'task.submitted' : 'task.persisted');
      return { id, source, type, subject, time, data };
    }));
    // a window that ends before they arrived shows none
    expect(await ops(['events', '--since', '30s'])).toEqual({ code: 0, out: '', err: '' });
  });

  it('events: a refused query is one line naming EventBridge and the code, without the secret, exit 1', async () => {
    const r = await ops(['events'], { ...ENV(), ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'wrong-secret-value-0002' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^ops events: QueryEventsByPeriod failed \(auth SignatureDoesNotMatch, request [\w-]+\)$/);
    expect(r.err).not.toContain('wrong-secret-value-0002');
  });

  it('events: asks the injected query for the window and limit given, and prints one JSON line per event', async () => {
    const asked: { since: Date; limit: number }[] = [];
    const recent: RecentEvents = async (q) => {
      asked.push(q);
      return [{ id: 'task_1.task.persisted', source: 'dashscope-fc', type: 'task.persisted', subject: 'task_1', time: '2030-05-06T07:00:00Z', data: { id: 'task_1' } }];
    };
    const r = await ops(['events', '--since', '2h', '--limit', '5'], ENV(), recent);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(r.out)).toMatchObject({ id: 'task_1.task.persisted', type: 'task.persisted' });
    await ops(['events'], ENV(), recent);
    expect(asked).toEqual([
      { since: new Date(NOW.getTime() - 2 * 3_600_000), limit: 5 },
      { since: new Date(NOW.getTime() - 15 * 60_000), limit: 20 },
    ]);
    for (const bad of [['--limit', '0'], ['--limit', '101'], ['--since', '15 minutes'], ['--since'], ['--until', '1h']]) {
      expect((await ops(['events', ...bad], ENV(), recent)).code, bad.join(' ')).toBe(2);
    }
  });

  it('refuses a call signed with the wrong secret: one line naming FC and the code, without the secret, exit 1', async () => {
    const r = await ops(['poll'], { ...ENV(), ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'wrong-secret-value-0001' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^ops poll: FC InvokeFunction dashscope-fc-poll-task: 403 SignatureNotMatch: /);
    expect(r.err).not.toContain('wrong-secret-value-0001');
    expect(r.err.split('\n')).toHaveLength(1);
    expect(invoked).toEqual([]);
  });

  it('names a function FC does not have (404 FunctionNotFound)', async () => {
    const other = await startFcStandin({ functions: {}, invoke: async () => ({ status: 200, body: '{}' }), credentials: [KEY] });
    try {
      const r = await ops(['poll'], { ...ENV(), FC_ENDPOINT: other.origin });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^ops poll: FC InvokeFunction dashscope-fc-poll-task: 404 FunctionNotFound: function 'dashscope-fc-poll-task' does not exist/);
    } finally {
      await other.close();
    }
  });

  it('names the variables a command is missing, with what to set', async () => {
    const r = await ops(['task', 'x'], { PATH: process.env.PATH, ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret });
    expect(r).toEqual({ code: 1, out: '', err: 'ops task: missing: OTS_ENDPOINT (or OTS_INSTANCE and FC_REGION) (the Table Store instance endpoint, by default https://<instance>.<region>.ots.aliyuncs.com); OTS_INSTANCE (the Table Store instance name)' });
    const noKey = await ops(['poll'], { ...ENV(), ALIBABA_CLOUD_ACCESS_KEY_ID: '', ALIBABA_CLOUD_ACCESS_KEY_SECRET: '' });
    expect(noKey.err).toMatch(/^ops poll: missing: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET \(/);
  });

  it('answers an unknown command or a missing argument with usage on stderr and exit 2', async () => {
    for (const argv of [['deploy'], [], ['task'], ['redrive'], ['urls', 'extra']]) {
      const r = await ops(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toContain('usage: npm run ops -- <command>');
    }
    const help = await ops(['help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('usage: npm run ops -- <command>');
  });
});
