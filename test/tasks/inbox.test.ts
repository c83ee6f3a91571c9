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

  it('makes the task the tenant named by the key prefix, and keeps one tenant\'s upload apart from the same name under another', async () => {
    const body = JSON.stringify({ type: 'text-to-image', input: { prompt: 'a fox' } });
    await upload('inbox/acme/orders/1.json', body);
    await upload('inbox/globex/orders/1.json', body);
    const r = (await handle(Buffer.from(JSON.stringify({ events: ['inbox/acme/orders/1.json', 'inbox/globex/orders/1.json'].map((key) => ({ eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'b' }, object: { key } } })) })), ctx)) as {
      handled: { outcome: string; taskId: string; tenant: string }[];
    };
    expect(r.handled.map((x) => [x.outcome, x.tenant])).toEqual([['submitted', 'acme'], ['submitted', 'globex']]);
    expect((await h.tasks.get(r.handled[0]!.taskId))?.tenant).toBe('acme');
    expect((await h.tasks.get(r.handled[1]!.taskId))?.tenant).toBe('globex');
    expect((await h.tasks.listByStatus(undefined, 10, undefined, 'asc', 'acme')).tasks.map((t) => t.id)).toEqual([r.handled[0]!.taskId]);
    expect(ds.creates).toHaveLength(2);
  });

  it('refuses a key that names no valid tenant, writes why beside the others under inbox-errors/, and submits nothing', async () => {
    const body = JSON.stringify({ type: 'text-to-image', input: { prompt: 'a fox' } });
    const keys = ['inbox/req.json', 'inbox/Acme/req.json', 'inbox/-x/req.json', 'inbox/ac.me/req.json', `inbox/${'a'.repeat(64)}/req.json`];
    for (const key of keys) await upload(key, body);
    const r = (await handle(Buffer.from(JSON.stringify({ events: keys.map((key) => ({ eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'b' }, object: { key } } })) })), ctx)) as { handled: { outcome: string }[] };
    expect(r.handled.map((x) => x.outcome)).toEqual(keys.map(() => 'invalid'));
    const { body: report } = await h.objects.get('inbox-errors/req.json.error.json');
    const chunks: Buffer[] = [];
    for await (const c of report) chunks.push(c as Buffer);
    expect(JSON.parse(Buffer.concat(chunks).toString('utf8'))).toMatchObject({ key: 'inbox/req.json', error: { code: 'invalid_inbox_key', message: expect.stringContaining('inbox/<tenant>/') } });
    for (const key of keys) expect(await h.objects.head(`inbox-errors/${key.slice('inbox/'.length)}.error.json`)).toBeDefined();
    expect((await h.tasks.listByStatus(undefined, 10)).tasks).toEqual([]);
    expect(ds.creates).toEqual([]);
  });

  it('refuses a request that can never be valid without failing the invocation, and writes why under inbox-errors/', async () => {
    await upload('inbox/app/bad.json', '{"type": "text-to-image"');
    await upload('inbox/app/invalid.json', JSON.stringify({ type: 'text-to-image', input: {} }));
    const r = (await handle(Buffer.from(JSON.stringify({ events: [
      { eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'b' }, object: { key: 'inbox/app/bad.json' } } },
      { eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'b' }, object: { key: 'inbox/app/invalid.json' } } },
      { eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'b' }, object: { key: 'results/manifests/x.json' } } },
    ] })), ctx)) as { handled: { outcome: string }[] };
    expect(r.handled.map((x) => x.outcome)).toEqual(['invalid', 'invalid']);
    const report = async (key: string) => {
      const { body } = await h.objects.get(key);
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as { key: string; error: { code: string; message: string } };
    };
    expect(await report('inbox-errors/app/bad.json.error.json')).toMatchObject({ key: 'inbox/app/bad.json', error: { code: 'invalid_json' } });
    expect(await report('inbox-errors/app/invalid.json.error.json')).toMatchObject({ key: 'inbox/app/invalid.json', error: { code: 'invalid_request', message: expect.stringContaining('prompt') } });
    expect((await h.tasks.listByStatus(undefined, 10)).tasks).toEqual([]);
    expect(ds.creates).toEqual([]);
  });

  it('refuses an upload nested 5,000 deep as json_too_deep, writes why under inbox-errors/ and creates nothing', async () => {
    const body = JSON.stringify({ type: 'text-to-image', input: { prompt: 'a fox' }, metadata: { a: 'x' } }).replace('"x"', '['.repeat(5_000) + ']'.repeat(5_000));
    await upload('inbox/app/deep.json', body);
    const r = (await handle(ossEvent('inbox/app/deep.json'), ctx)) as { handled: { outcome: string }[] };
    expect(r.handled.map((x) => x.outcome)).toEqual(['invalid']);
    const { body: report } = await h.objects.get('inbox-errors/app/deep.json.error.json');
    const chunks: Buffer[] = [];
    for await (const c of report) chunks.push(c as Buffer);
    const error = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error: { code: string; message: string } }).error;
    expect(error).toMatchObject({ code: 'json_too_deep', message: expect.stringContaining(`${MAX_JSON_DEPTH} levels`) });
    expect((await h.tasks.listByStatus(undefined, 10)).tasks).toEqual([]);
    expect(ds.creates).toEqual([]);
  });

  it('fails the invocation when the store cannot be reached, so the event is delivered again', async () => {
    await upload('inbox/app/req-2.json', JSON.stringify({ type: 'text-to-image', input: { prompt: 'x' } }));
    h.tasks.putIdempotencyKey = async () => {
      throw new Error('database is locked');
    };
    await expect(handle(ossEvent('inbox/app/req-2.json'), ctx)).rejects.toThrow('database is locked');
  });
});
