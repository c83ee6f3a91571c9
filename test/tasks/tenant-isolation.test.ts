// Tasks belong to the tenant that submitted them, over HTTP as deployed: another tenant's task answers exactly
// as an id that does not exist (GET, DELETE), listings hold the tenant's own, Idempotency-Keys are per tenant,
// and an admin sees and cancels every tenant's tasks.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpHandler, routes } from '../../functions/submit-task/index.ts';
import { handleTaskRoute } from '../../functions/submit-task/task-routes.ts';
import type { Principal } from '../../shared/domain/tenant.ts';
import { httpFunction } from '../../shared/http/http-function.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import type { HttpHandler } from '../../shared/runtime/fc.ts';
import type { TaskView } from '../../shared/use-cases/tasks/task-view.ts';
import { FakeDashScope } from './fake-dashscope.ts';
import { createTaskHarness, type TaskHarness } from './harness.ts';

// obviously fake client keys: CLIENT_API_KEYS makes them the tenants key-1 and key-2 (role app)
const KEY_A = 'test-client-key-aaaaaaaaaaaaaaaa';
const KEY_B = 'test-client-key-bbbbbbbbbbbbbbbb';
const ADMIN: Principal = { tenant: 'ops', role: 'admin', limits: {}, budgets: {} };

interface Body extends Partial<TaskView> {
  data?: TaskView[];
  error?: { code: string; message: string; type: string; param?: string | null; request_id: string };
}

async function listen(handler: HttpHandler): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('submit-task per tenant', () => {
  let ds: FakeDashScope;
  let h: TaskHarness;
  let apps: { server: Server; base: string };
  let admin: { server: Server; base: string };

  beforeEach(async () => {
    ds = new FakeDashScope();
    ds.defaultPlan = ['PENDING'];
    h = createTaskHarness(ds, { CLIENT_API_KEYS: `${KEY_A},${KEY_B}` });
    apps = await listen(createHttpHandler(h.deps));
    // an admin key comes from the key store; here the same routes behind an auth that answers an admin
    admin = await listen(httpFunction({ routes, auth: () => ADMIN, corsOrigins: [], serve: (call) => handleTaskRoute(h.deps, call) }, silentLogger));
  });
  afterEach(async () => {
    await Promise.all([apps, admin].map(({ server }) => new Promise((r) => server.close(r))));
    h.close();
  });

  async function call(as: string | 'admin', method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch((as === 'admin' ? admin.base : apps.base) + path, {
      method,
      headers: { ...(as === 'admin' ? {} : { authorization: `Bearer ${as}` }), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Body };
  }
  const submit = async (key: string, prompt = 'a fox', headers: Record<string, string> = {}) => {
    const r = await call(key, 'POST', '/v1/tasks', { type: 'text-to-image', input: { prompt } }, headers);
    expect(r.status).toBe(202);
    return r;
  };
  /** The answer with the parts that differ between any two requests (request id, the id asked for) set aside. */
  const shape = (r: { status: number; json: Body }, id: string) => ({ status: r.status, error: { ...r.json.error, request_id: 'x', message: r.json.error?.message.replace(id, '<id>') } });

  it("answers another tenant's task on GET and DELETE exactly as an id that does not exist, and does not cancel it", async () => {
    const a = (await submit(KEY_A)).json;
    const unknown = `task_${'0'.repeat(32)}`;
    for (const method of ['GET', 'DELETE']) {
      const theirs = await call(KEY_B, method, `/v1/tasks/${a.id}`);
      const missing = await call(KEY_B, method, `/v1/tasks/${unknown}`);
      expect(theirs.status).toBe(404);
      expect(theirs.json.error).toMatchObject({ code: 'task_not_found', message: `no task with id '${a.id}'` });
      expect(shape(theirs, a.id!)).toEqual(shape(missing, unknown));
      expect(theirs.headers.get('content-type')).toBe(missing.headers.get('content-type'));
    }
    expect((await h.tasks.get(a.id!))?.status).toBe('PENDING');
    expect(ds.cancels).toBe(0);
    expect(h.eventsOf(a.id!).map((e) => e.type)).toEqual(['task.submitted']);
    // its owner still reads and cancels it
    expect((await call(KEY_A, 'GET', `/v1/tasks/${a.id}`)).json).toMatchObject({ id: a.id, status: 'PENDING' });
    expect((await call(KEY_A, 'DELETE', `/v1/tasks/${a.id}`)).json).toMatchObject({ id: a.id, status: 'CANCELED' });
  });

  it("lists a tenant's own tasks only, with a status or without, while an admin lists and reads every tenant's", async () => {
    const ofA = [(await submit(KEY_A, 'a1')).json.id, (await submit(KEY_A, 'a2')).json.id];
    h.clock.advance(1_000);
    const ofB = [(await submit(KEY_B, 'b1')).json.id];
    const ids = async (as: string, query = '') => (await call(as, 'GET', `/v1/tasks${query}`)).json.data?.map((t) => t.id);

    expect(await ids(KEY_A)).toEqual([...ofA].reverse());
    expect(await ids(KEY_A, '?status=PENDING&order=asc')).toEqual(ofA);
    expect(await ids(KEY_B)).toEqual(ofB);
    expect(await ids(KEY_B, '?status=PENDING')).toEqual(ofB);
    expect(await ids('admin', '?order=asc')).toEqual([...ofA, ...ofB]);
    expect(await ids('admin', '?status=PENDING&order=asc')).toEqual([...ofA, ...ofB]);
    for (const id of [...ofA, ...ofB]) expect((await call('admin', 'GET', `/v1/tasks/${id}`)).status).toBe(200);
    // a page cursor from one tenant's listing carries no one else's tasks into another's
    const page = await call(KEY_A, 'GET', '/v1/tasks?limit=1&order=asc');
    expect((await call(KEY_B, 'GET', `/v1/tasks?limit=5&order=asc&cursor=${(page.json as { next?: string }).next}`)).json.data?.map((t) => t.id)).toEqual(ofB);
  });

  it("lets an admin cancel any tenant's task", async () => {
    const b = (await submit(KEY_B)).json;
    expect((await call('admin', 'DELETE', `/v1/tasks/${b.id}`)).json).toMatchObject({ id: b.id, status: 'CANCELED' });
    expect(ds.cancels).toBe(1);
    expect((await h.tasks.get(b.id!))?.tenant).toBe('key-2');
  });

  it('scopes an Idempotency-Key to its tenant: the same key from two tenants makes two tasks, each replayed to its own', async () => {
    const key = { 'idempotency-key': 'order-7' };
    const a = await submit(KEY_A, 'a fox', key);
    const b = await submit(KEY_B, 'a fox', key);
    expect(b.json.id).not.toBe(a.json.id);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    const again = await submit(KEY_A, 'a fox', key);
    expect(again.json.id).toBe(a.json.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await submit(KEY_B, 'a fox', key)).json.id).toBe(b.json.id);
    expect(ds.creates).toHaveLength(2);
    expect([(await h.tasks.get(a.json.id!))?.tenant, (await h.tasks.get(b.json.id!))?.tenant]).toEqual(['key-1', 'key-2']);
  });

  it('treats a task from before tasks had owners as unknown to every app tenant, and shows it to an admin', async () => {
    const r = await submit(KEY_A);
    const { tenant: _owner, ...ownerless } = (await h.tasks.get(r.json.id!))!;
    const old = { ...ownerless, id: `task_${'1'.repeat(32)}` };
    await h.tasks.create(old);
    expect((await call(KEY_A, 'GET', `/v1/tasks/${old.id}`)).status).toBe(404);
    expect((await call(KEY_A, 'GET', '/v1/tasks')).json.data?.map((t) => t.id)).toEqual([r.json.id]);
    expect((await call('admin', 'GET', `/v1/tasks/${old.id}`)).status).toBe(200);
    expect((await call('admin', 'GET', '/v1/tasks?order=asc')).json.data?.map((t) => t.id)).toContain(old.id);
  });
});
