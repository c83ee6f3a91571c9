// submit-task facing hostile input: deep JSON, multi-megabyte identifiers, odd query strings. Each gets a
// small 4xx in the public error shape naming what was wrong, no task is created, and no log line grows.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../functions/submit-task/index.ts';
import { createLogger } from '../../shared/log/logger.ts';
import { FakeDashScope } from './fake-dashscope.ts';
import { createTaskHarness, type TaskHarness } from './harness.ts';

let ds: FakeDashScope;
let h: TaskHarness;
let server: Server;
let base: string;
let lines: string[];

beforeAll(async () => {
  server = createServer((req, res) => {
    const logger = createLogger('info', {}, (l) => lines.push(l));
    void createHttpHandler({ ...h.deps, logger })(req, res);
  });
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
  lines = [];
});
afterEach(() => h.close());

interface ErrorBody {
  error: { code: string; message: string; type: string; param?: string; request_id: string };
}

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  return { status: res.status, size: text.length, json: JSON.parse(text) as ErrorBody & { data?: { id: string }[]; next?: string; id?: string } };
}

const MAX_LOG_LINE = 8 * 1024;
const t2i = { type: 'text-to-image', input: { prompt: 'a fox' } };
const longestLogLine = () => Math.max(0, ...lines.map((l) => l.length));

async function expectNothingCreated() {
  expect((await h.tasks.listByStatus(undefined, 10)).tasks).toEqual([]);
  expect(ds.creates).toEqual([]);
}

describe('submit-task input limits', () => {
  it('answers 400 json_too_deep to a task body nested 5,000 deep and creates nothing', async () => {
    const body = JSON.stringify({ ...t2i, metadata: { a: 'x' } }).replace('"x"', '['.repeat(5_000) + ']'.repeat(5_000));
    const r = await call('POST', '/v1/tasks', body);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'json_too_deep', type: 'invalid_request_error', request_id: expect.any(String) });
    await expectNothingCreated();
  });

  it.each([
    ['a 1.5 MB model name', { ...t2i, model: 'w'.repeat(1_500_000) }, 'model'],
    ['a 1 MB metadata key', { ...t2i, metadata: { ['k'.repeat(1024 * 1024)]: 'v' } }, 'metadata'],
    ['a 1 MB metadata value', { ...t2i, metadata: { k: 'v'.repeat(1024 * 1024) } }, 'metadata.k'],
    ['a 1 MB unknown field', { ...t2i, ['f'.repeat(1024 * 1024)]: 1 }, undefined],
    ['a 1 MB video size', { type: 'text-to-video', input: { prompt: 'x' }, parameters: { size: 's'.repeat(1024 * 1024) } }, 'parameters.size'],
  ])('answers %s with a small 400 naming the field, creates nothing and logs no long line', async (_name, body, param) => {
    const r = await call('POST', '/v1/tasks', JSON.stringify(body));
    expect(r.status).toBe(400);
    expect(r.size).toBeLessThan(1_024);
    if (param) expect(r.json.error.param).toBe(param);
    await expectNothingCreated();
    expect(longestLogLine()).toBeLessThan(MAX_LOG_LINE);
  });

  it('refuses an over-long Idempotency-Key with a 400 naming the header', async () => {
    const r = await call('POST', '/v1/tasks', JSON.stringify(t2i), { 'idempotency-key': 'i'.repeat(8_000) });
    expect(r).toMatchObject({ status: 400, json: { error: { code: 'invalid_idempotency_key', param: 'Idempotency-Key' } } });
    expect(r.size).toBeLessThan(1_024);
    await expectNothingCreated();
  });

  it('answers an over-long task id in the path with a small 400, on GET and DELETE, and logs no long line', async () => {
    for (const method of ['GET', 'DELETE']) {
      const r = await call(method, `/v1/tasks/${'t'.repeat(12_000)}`);
      expect(r).toMatchObject({ status: 400, json: { error: { code: 'invalid_task_id', param: 'id' } } });
      expect(r.size).toBeLessThan(1_024);
    }
    expect(longestLogLine()).toBeLessThan(MAX_LOG_LINE);
  });

  it('answers a long unknown path with a small 404 and a long path with a wrong method with a small 405', async () => {
    const missing = await call('GET', `/v1/${'p'.repeat(12_000)}`);
    expect(missing.status).toBe(404);
    expect(missing.size).toBeLessThan(1_024);
    const wrong = await call('PUT', `/v1/tasks/${'t'.repeat(12_000)}`);
    expect(wrong.status).toBe(405);
    expect(wrong.size).toBeLessThan(1_024);
    expect(longestLogLine()).toBeLessThan(MAX_LOG_LINE);
  });

  it('refuses an over-long cursor with a 400 naming it', async () => {
    const r = await call('GET', `/v1/tasks?cursor=${'c'.repeat(4_000)}`);
    expect(r).toMatchObject({ status: 400, json: { error: { param: 'cursor' } } });
    expect(r.size).toBeLessThan(1_024);
  });

  it.each([
    ['an unknown parameter', '?foo=1', 'foo', "query parameter 'foo' is not supported; use status, limit, cursor, order"],
    ['a blank limit', '?limit=', 'limit', "query parameter 'limit' must be a whole number from 1 to 100"],
    ['a hexadecimal limit', '?limit=0x10', 'limit', "query parameter 'limit' must be a whole number"],
    ['an exponent limit', '?limit=1e1', 'limit', "query parameter 'limit' must be a whole number"],
    ['a signed limit', '?limit=+5', 'limit', "query parameter 'limit' must be a whole number"],
    ['a limit of 0', '?limit=0', 'limit', "query parameter 'limit' must be a whole number"],
    ['a limit of 101', '?limit=101', 'limit', "query parameter 'limit' must be a whole number"],
    ['a repeated limit', '?limit=5&limit=6', 'limit', "query parameter 'limit' is given more than once"],
    ['a repeated status', '?status=PENDING&status=FAILED', 'status', "query parameter 'status' is given more than once"],
    ['an unknown status', '?status=DONE', 'status', "query parameter 'status' must be one of QUEUED"],
    ['an unknown order', '?order=newest', 'order', "query parameter 'order' must be desc"],
  ])('refuses %s on GET /v1/tasks naming the query parameter', async (_name, query, param, message) => {
    const r = await call('GET', `/v1/tasks${query}`);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'invalid_query_parameter', type: 'invalid_request_error', param, request_id: expect.any(String) });
    expect(r.json.error.message).toContain(message);
    expect(r.json.error.message).not.toContain('body');
  });

  it('clips an unknown query parameter of 8,000 characters in the answer', async () => {
    const r = await call('GET', `/v1/tasks?${'q'.repeat(8_000)}=1`);
    expect(r.status).toBe(400);
    expect(r.size).toBeLessThan(1_024);
  });

  it('lists newest first by default and with order=desc, oldest first with order=asc, with cursors in each order', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await call('POST', '/v1/tasks', JSON.stringify(t2i))).json.id!);
      h.clock.advance(1_000);
    }
    const pages = async (query: string) => {
      const seen: string[] = [];
      let r = await call('GET', `/v1/tasks?${query}`);
      seen.push(...r.json.data!.map((t) => t.id));
      while (r.json.next) {
        r = await call('GET', `/v1/tasks?${query}&cursor=${r.json.next}`);
        seen.push(...r.json.data!.map((t) => t.id));
      }
      return seen;
    };
    const newest = [...ids].reverse();
    expect(await pages('limit=2')).toEqual(newest);
    expect(await pages('limit=2&order=desc&status=PENDING')).toEqual(newest);
    expect(await pages('limit=3&order=asc')).toEqual(ids);
    expect(await pages('limit=007&order=asc')).toEqual(ids);
    const desc = await call('GET', '/v1/tasks?limit=2');
    const mixed = await call('GET', `/v1/tasks?limit=2&order=asc&cursor=${desc.json.next}`);
    expect(mixed).toMatchObject({ status: 400, json: { error: { code: 'invalid_cursor', param: 'cursor' } } });
  });
});
