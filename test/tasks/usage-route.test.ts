// GET /v1/usage on submit-task over the harness's SQLite ledger: each key's tenant sees only its own usage, the
// open local admin sees all, bad parameters are 400s in the public error shape.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../functions/submit-task/index.ts';
import type { UsageReport } from '../../shared/use-cases/usage/usage-report.ts';
import type { LedgerEntry } from '../../shared/domain/ledger.ts';
import { ledgerEntry } from '../support/fake-ledger.ts';
import { FakeDashScope } from './fake-dashscope.ts';
import { createTaskHarness, type TaskHarness } from './harness.ts';

const KEY_1 = 'test-client-key-one-0001';
const KEY_2 = 'test-client-key-two-0002';

/** The first milliseconds of the current UTC month, so "this month up to now" always holds them. */
const monthStart = (ms: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1, 0, 0, 0, ms)).toISOString();
};

let entries: LedgerEntry[];
const stacks: { h: TaskHarness; server: Server; base: string }[] = [];

async function start(env: Record<string, string>) {
  const h = createTaskHarness(new FakeDashScope(), env);
  for (const entry of entries) await h.guards.settle({ entry }, new Date());
  const server = createServer((req, res) => void createHttpHandler(h.deps)(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const stack = { h, server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  stacks.push(stack);
  return stack.base;
}

let keyed: string;
let open: string;
beforeAll(async () => {
  entries = [
    ledgerEntry({ tenant: 'key-1', at: monthStart(0), model: 'qwen-plus', costMicros: 7_200 }),
    ledgerEntry({ tenant: 'key-1', at: monthStart(1), model: 'wanx2.1-t2i-plus', kind: 'task', costMicros: 400_000, units: { images: 2 } }),
    ledgerEntry({ tenant: 'key-2', at: monthStart(2), model: 'qwen-plus', costMicros: 72_000 }),
  ];
  keyed = await start({ CLIENT_API_KEYS: `${KEY_1},${KEY_2}` });
  open = await start({});
});
afterAll(async () => {
  for (const s of stacks) {
    await new Promise((r) => s.server.close(r));
    s.h.close();
  }
});

async function get(base: string, query = '', key?: string) {
  const res = await fetch(`${base}/v1/usage${query}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.status, headers: res.headers, json: (await res.json()) as UsageReport & { error?: { code: string; message: string; param?: string; request_id: string } } };
}

describe('GET /v1/usage', () => {
  it('shows a key only its own tenant’s usage, this month by default', async () => {
    const r = await get(keyed, '?group_by=tenant', KEY_1);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ object: 'usage', group_by: 'tenant', tenant: 'key-1', cny_per_usd: 7.2, total: { requests: 2, cost_cny: 0.4072, cost_usd: 0.056556 } });
    expect(r.json.data).toEqual([{ tenant: 'key-1', requests: 2, cost_cny: 0.4072, cost_usd: 0.056556, units: { completion_tokens: 5, images: 2, prompt_tokens: 10 } }]);
    expect(r.json.from).toBe(monthStart(0));
    expect(r.headers.get('x-request-id')).toBeTruthy();
    const other = await get(keyed, '?group_by=tenant', KEY_2);
    expect(other.json.data.map((d) => d.tenant)).toEqual(['key-2']);
    expect(other.json.total.cost_cny).toBe(0.072);
  });

  it('refuses a key asking for another tenant’s usage with a 400 naming the parameter', async () => {
    const r = await get(keyed, '?tenant=key-2', KEY_1);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'invalid_query_parameter', param: 'tenant' });
  });

  it('shows the admin every tenant, and one when it names it', async () => {
    const all = await get(open, '?group_by=tenant');
    expect(all.status).toBe(200);
    expect(all.json.data.map((d) => [d.tenant, d.requests])).toEqual([
      ['key-1', 2],
      ['key-2', 1],
    ]);
    expect(all.json).not.toHaveProperty('tenant');
    const one = await get(open, '?group_by=model&tenant=key-2');
    expect(one.json).toMatchObject({ tenant: 'key-2', data: [{ model: 'qwen-plus', requests: 1 }] });
  });

  it('needs a key where keys are configured', async () => {
    expect((await get(keyed)).status).toBe(401);
  });

  it.each([
    ['?from=yesterday', 'invalid_query_parameter', 'from'],
    ['?from=2026-12-05&to=2026-12-01', 'invalid_range', 'to'],
    ['?from=2024-01-01&to=2026-01-01', 'invalid_range', 'from'],
    ['?group_by=week', 'invalid_query_parameter', 'group_by'],
    ['?limit=5', 'invalid_query_parameter', 'limit'],
  ])('answers %s with 400 %s', async (query, code, param) => {
    const r = await get(open, query);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code, param });
  });
});
