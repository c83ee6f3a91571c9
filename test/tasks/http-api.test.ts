import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../functions/submit-task/index.ts';
import type { TaskView } from '../../shared/use-cases/tasks/task-view.ts';
import { FakeDashScope } from './fake-dashscope.ts';
import { createTaskHarness, type TaskHarness } from './harness.ts';

let ds: FakeDashScope;
let h: TaskHarness;
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => void createHttpHandler(h.deps)(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  ds = new FakeDashScope();
  ds.defaultPlan = ['PENDING'];
  h = createTaskHarness(ds);
});
afterEach(() => h.close());

/** A task, a page of tasks, or an error: whichever the route answers. */
interface Body extends Partial<TaskView> {
  data?: TaskView[];
  next?: string;
  error?: { code: string; message: string; type: string; request_id: string };
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Body };
}

const t2i = { type: 'text-to-image', input: { prompt: 'a fox' }, parameters: { n: 2 } };

describe('submit-task HTTP API', () => {
  it('answers 202 with the PENDING task and where to find it', async () => {
    const r = await call('POST', '/v1/tasks', t2i);
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ type: 'text-to-image', model: 'wanx2.1-t2i-turbo', status: 'PENDING', outputs: [] });
    expect(r.headers.get('location')).toBe(`/v1/tasks/${r.json.id}`);
    expect(r.json).not.toHaveProperty('leaseOwner');
    const got = await call('GET', `/v1/tasks/${r.json.id}`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual(r.json);
  });

  it('returns persisted outputs with a URL the app can fetch', async () => {
    const r = await call('POST', '/v1/tasks', t2i);
    const row = (await h.tasks.get(r.json.id!))!;
    await h.tasks.update(row.id, row.version, { status: 'PERSISTED', outputs: [{ index: 0, key: `media/2030/01/01/${row.id}/0.png`, contentType: 'image/png', bytes: 10, sha256: 'ab' }, { index: 1, error: { code: 'DataInspectionFailed', message: 'no' } }] }, new Date());
    const got = await call('GET', `/v1/tasks/${row.id}`);
    expect(got.json.outputs?.[0]).toMatchObject({ index: 0, key: `media/2030/01/01/${row.id}/0.png`, contentType: 'image/png', bytes: 10, sha256: 'ab' });
    expect(got.json.outputs?.[0]?.url).toContain(`/_oss/media/2030/01/01/${row.id}/0.png?`);
    expect(got.json.outputs?.[1]).toEqual({ index: 1, error: { code: 'DataInspectionFailed', message: 'no' } });
  });

  it('lists tasks by status a page at a time, newest first', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await call('POST', '/v1/tasks', t2i)).json.id);
      h.clock.advance(1_000);
    }
    const newest = [...ids].reverse();
    const first = await call('GET', '/v1/tasks?status=PENDING&limit=2');
    expect(first.json.data?.map((t) => t.id)).toEqual(newest.slice(0, 2));
    const second = await call('GET', `/v1/tasks?status=PENDING&limit=2&cursor=${first.json.next}`);
    expect(second.json.data?.map((t) => t.id)).toEqual(newest.slice(2));
    expect(second.json.next).toBeUndefined();
    expect((await call('GET', '/v1/tasks?status=FAILED')).json.data).toEqual([]);
    expect((await call('GET', '/v1/tasks?status=DONE')).status).toBe(400);
    expect((await call('GET', '/v1/tasks?cursor=zzz')).status).toBe(400);
  });

  it('cancels with DELETE, answers a second DELETE 409 with the status and what can be canceled, and 404 for an unknown task', async () => {
    const r = await call('POST', '/v1/tasks', t2i);
    const del = await call('DELETE', `/v1/tasks/${r.json.id}`);
    expect(del.status).toBe(200);
    expect(del.json.status).toBe('CANCELED');
    const again = await call('DELETE', `/v1/tasks/${r.json.id}`);
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({
      code: 'task_not_cancelable',
      message: `task ${r.json.id} is CANCELED; only QUEUED tasks not yet sent to DashScope and PENDING tasks can be canceled`,
    });
    const missing = await call('GET', '/v1/tasks/task_nope');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({ code: 'task_not_found', type: 'not_found_error' });
  });

  it('replays a repeated Idempotency-Key and refuses the key for a different body', async () => {
    const a = await call('POST', '/v1/tasks', t2i, { 'idempotency-key': 'order-7' });
    const b = await call('POST', '/v1/tasks', t2i, { 'idempotency-key': 'order-7' });
    expect(b.status).toBe(202);
    expect(b.json.id).toBe(a.json.id);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    const c = await call('POST', '/v1/tasks', { ...t2i, parameters: { n: 1 } }, { 'idempotency-key': 'order-7' });
    expect(c.status).toBe(422);
    expect(c.json.error?.code).toBe('idempotency_key_reused');
    expect(ds.creates).toHaveLength(1);
  });

  it('answers 422 with the DashScope reason when DashScope rejects the task, and keeps it FAILED', async () => {
    ds.createFaults = ['reject'];
    const r = await call('POST', '/v1/tasks', t2i);
    expect(r.status).toBe(422);
    expect(r.json.error).toMatchObject({ code: 'upstream_rejected' });
    expect(r.json.error?.message).toContain('InvalidParameter');
    const got = await call('GET', r.headers.get('location')!);
    expect(got.json).toMatchObject({ status: 'FAILED', error: { code: 'InvalidParameter', message: 'Model not exist.' } });
  });

  it.each([
    ['a wrong type', { ...t2i, type: 'text-to-3d' }, 400],
    ['a missing prompt', { type: 'text-to-image', input: {} }, 400],
    ['a bad size', { ...t2i, parameters: { size: 'big' } }, 400],
    ['a duration out of range', { type: 'text-to-video', input: { prompt: 'x' }, parameters: { duration: 60 } }, 400],
    ['an unknown model', { ...t2i, model: 'wanx9-t2i' }, 400],
    ['a body that is not JSON', '{"type": "text-to-image",', 400],
    ['a huge body', { ...t2i, input: { prompt: 'x', negative_prompt: 'y'.repeat(3 * 1024 * 1024) } }, 413],
    ['an array', [t2i], 400],
  ])('refuses %s with a JSON error and creates nothing', async (_name, body, status) => {
    const r = await call('POST', '/v1/tasks', body);
    expect(r.status).toBe(status);
    expect(r.json.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String), type: expect.any(String), request_id: expect.any(String) }));
    expect((await h.tasks.listByStatus(undefined, 10)).tasks).toEqual([]);
    expect(ds.creates).toEqual([]);
  });

  it('refuses a body that is not declared as JSON, and a bad Idempotency-Key', async () => {
    const res = await fetch(`${base}/v1/tasks`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(t2i) });
    expect(res.status).toBe(415);
    expect((await call('POST', '/v1/tasks', t2i, { 'idempotency-key': 'with space' })).status).toBe(400);
    expect(ds.creates).toEqual([]);
  });

  it('with CLIENT_API_KEYS set, answers 401 without a configured key and creates nothing', async () => {
    h.close();
    const key = 'tasks-key-0123456789abcdef';
    h = createTaskHarness(ds, { CLIENT_API_KEYS: key });
    const none = await call('POST', '/v1/tasks', t2i);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.json.error).toMatchObject({ code: 'missing_api_key', type: 'authentication_error' });
    const wrong = await call('POST', '/v1/tasks', t2i, { authorization: 'Bearer tasks-key-0123456789abcdeX' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error?.code).toBe('invalid_api_key');
    expect((await call('GET', '/v1/tasks?status=PENDING')).status).toBe(401);
    expect(ds.creates).toHaveLength(0);
    const ok = await call('POST', '/v1/tasks', t2i, { authorization: `Bearer ${key}` });
    expect(ok.status).toBe(202);
    expect((await call('GET', `/v1/tasks/${ok.json.id}`, undefined, { authorization: `Bearer ${key}` })).status).toBe(200);
    expect(ds.creates).toHaveLength(1);
  });

  it('answers 404 and 405 in the error shape for unknown routes and methods', async () => {
    expect((await call('GET', '/v1/nope')).status).toBe(404);
    const r = await call('PUT', '/v1/tasks', {});
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST, GET');
  });
});
