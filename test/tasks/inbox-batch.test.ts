// Batch uploads through submit-task's inbox trigger (fake DashScope): one task per valid line, recorded for
// poll-task to send; a summary by line; a new version of the object is a new batch, a redelivery is not.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventHandler } from '../../functions/submit-task/index.ts';
import { createClientKey } from '../../shared/use-cases/tenants/client-keys.ts';
import type { EventHandler } from '../../shared/runtime/fc.ts';
import { pollDueTasks } from '../../shared/use-cases/tasks/poll-due-tasks.ts';
import type { BatchSummary } from '../../shared/use-cases/tasks/inbox-batch.ts';
import { FakeDashScope } from './fake-dashscope.ts';
import { createTaskHarness, type TaskHarness } from './harness.ts';

const ossEvent = (key: string) => Buffer.from(JSON.stringify({ events: [{ eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'b' }, object: { key } } }] }));
const ctx = { requestId: 'inv-1' };
const image = (prompt: string) => JSON.stringify({ type: 'text-to-image', input: { prompt } });

describe('inbox batches', () => {
  let ds: FakeDashScope;
  let h: TaskHarness;
  let handle: EventHandler;
  beforeEach(() => {
    ds = new FakeDashScope();
    h = createTaskHarness(ds);
    handle = createEventHandler(h.deps);
  });
  afterEach(() => h.close());

  const upload = (key: string, lines: string[]) => h.objects.put(key, Buffer.from(`${lines.join('\n')}\n`), { contentType: 'application/x-ndjson' });
  async function summary(key: string): Promise<BatchSummary> {
    const { body } = await h.objects.get(`inbox-results/${key.slice('inbox/'.length)}.summary.json`);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as BatchSummary;
  }
  const allTasks = async () => (await h.tasks.listByStatus(undefined, 100, undefined, 'asc')).tasks;

  it("reports the lines past the tenant's rate limit in the summary instead of failing every delivery", async () => {
    await createClientKey(h.deps, { name: 'slow', limits: { rpm: 2 } });
    const key = 'inbox/slow/tasks/big.jsonl';
    await upload(key, [image('one'), image('two'), image('three'), image('four')]);
    // in one calendar minute, so the limit's window does not roll over between the lines
    if (new Date().getUTCSeconds() > 55) await new Promise((r) => setTimeout(r, 6_000));
    const r = (await handle(ossEvent(key), ctx)) as { handled: { outcome: string; submitted: number; failed: number }[] };
    expect(r.handled[0]).toMatchObject({ outcome: 'batch', submitted: 2, failed: 2 });
    const s = await summary(key);
    expect(s.results.map((x) => ('taskId' in x ? 'task' : x.error.code))).toEqual(['task', 'task', 'rate_limit_exceeded', 'rate_limit_exceeded']);
    expect((await allTasks()).length).toBe(2);
  }, 20_000);

  it('records one QUEUED task per valid line for its tenant, sent by poll-task, not by the trigger', async () => {
    const key = 'inbox/acme/tasks/day-1.jsonl';
    await upload(key, [image('a fox'), 'nope', image('a heron'), JSON.stringify({ type: 'text-to-video', input: {} })]);
    const r = (await handle(ossEvent(key), ctx)) as { handled: { outcome: string; submitted: number; failed: number; tenant: string }[] };
    expect(r.handled[0]).toMatchObject({ outcome: 'batch', tenant: 'acme', submitted: 2, failed: 2 });
    const s = await summary(key);
    expect(s.results).toEqual([
      { line: 1, taskId: expect.any(String) },
      { line: 2, error: { code: 'invalid_json', message: expect.stringMatching(/^the line /) } },
      { line: 3, taskId: expect.any(String) },
      { line: 4, error: { code: 'invalid_request', message: expect.stringContaining('input.prompt') } },
    ]);
    const tasks = await allTasks();
    expect(tasks.map((t) => [t.status, t.tenant, t.metadata?.inboxLine, t.leaseOwner])).toEqual([
      ['QUEUED', 'acme', '1', undefined],
      ['QUEUED', 'acme', '3', undefined],
    ]);
    expect(ds.creates).toHaveLength(0);
    await pollDueTasks(h.deps, { requestId: 'poll-1' }, h.pollOptions());
    expect(ds.creates).toHaveLength(2);
    expect((await allTasks()).map((t) => [t.status !== 'QUEUED', t.dashscopeTaskId !== undefined])).toEqual([[true, true], [true, true]]);
  });

  it('makes a new version of the object a new batch, and a redelivery of one version no new task', async () => {
    const key = 'inbox/acme/tasks/rolling.jsonl';
    await upload(key, [image('one')]);
    await handle(ossEvent(key), ctx);
    await handle(ossEvent(key), ctx);
    const first = await summary(key);
    expect(await allTasks()).toHaveLength(1);
    await upload(key, [image('one')]);
    await handle(ossEvent(key), ctx);
    const second = await summary(key);
    expect(second.etag).not.toBe(first.etag);
    expect(second.results[0]).not.toEqual(first.results[0]);
    expect(await allTasks()).toHaveLength(2);
  });

  it('refuses a batch of more than 1,000 requests, and one of blank lines only, creating nothing', async () => {
    await upload('inbox/acme/tasks/big.jsonl', Array.from({ length: 1_001 }, (_, i) => image(`p${i}`)));
    await upload('inbox/acme/tasks/blank.jsonl', ['', '  ', '']);
    await handle(ossEvent('inbox/acme/tasks/big.jsonl'), ctx);
    await handle(ossEvent('inbox/acme/tasks/blank.jsonl'), ctx);
    expect(await summary('inbox/acme/tasks/big.jsonl')).toMatchObject({ submitted: 0, results: [], error: { code: 'too_many_lines', message: '1001 task requests; at most 1000 per batch (split the file)' } });
    expect(await summary('inbox/acme/tasks/blank.jsonl')).toMatchObject({ submitted: 0, error: { code: 'empty_file' } });
    expect(await allTasks()).toEqual([]);
  });

  it('keeps a .json request under tasks/ a single task request, as before', async () => {
    await h.objects.put('inbox/acme/tasks/one.json', Buffer.from(image('single')), { contentType: 'application/json' });
    const r = (await handle(ossEvent('inbox/acme/tasks/one.json'), ctx)) as { handled: { outcome: string }[] };
    expect(r.handled[0]!.outcome).toBe('submitted');
    expect(ds.creates).toHaveLength(1);
  });
});
