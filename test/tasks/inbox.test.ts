import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventHandler } from '../../functions/submit-task/index.ts';
import { MAX_JSON_DEPTH } from '../../shared/json/parse-json.ts';
import type { EventHandler } from '../../shared/runtime/fc.ts';
import { FakeDashScope } from './fake-dashscope.ts';
import { createTaskHarness, type TaskHarness } from './harness.ts';

const ossEvent = (key: string) => Buffer.from(JSON.stringify({ events: [{ eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'b' }, object: { key } } }] }));
const ctx = { requestId: 'inv-1' };

describe('submit-task inbox trigger', () => {
  let ds: FakeDashScope;
  let h: TaskHarness;
  let handle: EventHandler;
  beforeEach(() => {
    ds = new FakeDashScope();
    h = createTaskHarness(ds);
    handle = createEventHandler(h.deps);
  });
  afterEach(() => h.close());

  const upload = (key: string, body: string) => h.objects.put(key, Buffer.from(body), { contentType: 'application/json' });

  it('submits an uploaded request once, however often its event arrives', async () => {
    await upload('inbox/app/req-1.json', JSON.stringify({ type: 'text-to-image', input: { prompt: 'a fox' }, metadata: { order: '7' } }));
    const first = (await handle(ossEvent('inbox/app/req-1.json'), ctx)) as { handled: { outcome: string; taskId: string }[] };
    const again = (await handle(ossEvent('inbox/app/req-1.json'), ctx)) as { handled: { outcome: string; taskId: string }[] };
    expect(first.handled[0]).toMatchObject({ outcome: 'submitted' });
    expect(again.handled[0]).toMatchObject({ outcome: 'replayed', taskId: first.handled[0]!.taskId });
    expect(ds.creates).toHaveLength(1);
    const task = await h.tasks.get(first.handled[0]!.taskId);
    expect(task).toMatchObject({ status: 'PENDING', metadata: { order: '7', inboxKey: 'inbox/app/req-1.json' } });
  });

  it('refuses a request that can never be valid without failing the invocation, and writes why under inbox-errors/', async () => {
    await upload('inbox/bad.json', '{"type": "text-to-image"');
    await upload('inbox/invalid.json', JSON.stringify({ type: 'text-to-image', input: {} }));
    const r = (await handle(Buffer.from(JSON.stringify({ events: [
      { eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'b' }, object: { key: 'inbox/bad.json' } } },
      { eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'b' }, object: { key: 'inbox/invalid.json' } } },
      { eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'b' }, object: { key: 'results/manifests/x.json' } } },
    ] })), ctx)) as { handled: { outcome: string }[] };
    expect(r.handled.map((x) => x.outcome)).toEqual(['invalid', 'invalid']);
    const report = async (key: string) => {
      const { body } = await h.objects.get(key);
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as { key: string; error: { code: string; message: string } };
    };
    expect(await report('inbox-errors/bad.json.error.json')).toMatchObject({ key: 'inbox/bad.json', error: { code: 'invalid_json' } });
    expect(await report('inbox-errors/invalid.json.error.json')).toMatchObject({ key: 'inbox/invalid.json', error: { code: 'invalid_request', message: expect.stringContaining('prompt') } });
    expect((await h.tasks.listByStatus(undefined, 10)).tasks).toEqual([]);
    expect(ds.creates).toEqual([]);
  });

  it('refuses an upload nested 5,000 deep as json_too_deep, writes why under inbox-errors/ and creates nothing', async () => {
    const body = JSON.stringify({ type: 'text-to-image', input: { prompt: 'a fox' }, metadata: { a: 'x' } }).replace('"x"', '['.repeat(5_000) + ']'.repeat(5_000));
    await upload('inbox/deep.json', body);
    const r = (await handle(ossEvent('inbox/deep.json'), ctx)) as { handled: { outcome: string }[] };
    expect(r.handled.map((x) => x.outcome)).toEqual(['invalid']);
    const { body: report } = await h.objects.get('inbox-errors/deep.json.error.json');
    const chunks: Buffer[] = [];
    for await (const c of report) chunks.push(c as Buffer);
    const error = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error: { code: string; message: string } }).error;
    expect(error).toMatchObject({ code: 'json_too_deep', message: expect.stringContaining(`${MAX_JSON_DEPTH} levels`) });
    expect((await h.tasks.listByStatus(undefined, 10)).tasks).toEqual([]);
    expect(ds.creates).toEqual([]);
  });

  it('fails the invocation when the store cannot be reached, so the event is delivered again', async () => {
    await upload('inbox/req-2.json', JSON.stringify({ type: 'text-to-image', input: { prompt: 'x' } }));
    h.tasks.putIdempotencyKey = async () => {
      throw new Error('database is locked');
    };
    await expect(handle(ossEvent('inbox/req-2.json'), ctx)).rejects.toThrow('database is locked');
  });
});
