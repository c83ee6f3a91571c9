// The usage report over the SQLite GuardStore: entries settled through the store (each once), paged with the
// store's own cursors, and GET /v1/usage and `npm run usage -- --json` answering the same report.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../functions/submit-task/index.ts';
import { runUsage } from '../../scripts/usage/usage-cli.ts';
import { openDatabase } from '../../shared/adapters/sqlite/database.ts';
import { SqliteGuardStore } from '../../shared/adapters/sqlite/sqlite-guard-store.ts';
import { chatCost, taskCost } from '../../shared/catalog/pricing.ts';
import { requireModel } from '../../shared/catalog/catalog.ts';
import type { LedgerEntry } from '../../shared/domain/ledger.ts';
import type { Principal } from '../../shared/domain/tenant.ts';
import { usageReport } from '../../shared/use-cases/usage/usage-report.ts';
import { FakeDashScope } from '../tasks/fake-dashscope.ts';
import { createTaskHarness, type TaskHarness } from '../tasks/harness.ts';

const admin: Principal = { tenant: 'ops', role: 'admin', limits: {}, budgets: {} };
const qwenPlus = requireModel('qwen-plus', 'chat');

let h: TaskHarness;
let db: ReturnType<typeof openDatabase>;
let store: SqliteGuardStore;
let server: Server;
let base: string;
const entries: LedgerEntry[] = [];

/** The first hours of the current UTC month, so "this month up to now" holds them on any day but the 1st's first hours. */
const monthStart = (minutes: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1, 0, minutes));
};

beforeAll(async () => {
  h = createTaskHarness(new FakeDashScope());
  db = openDatabase(join(h.dir, 'local.db'));
  store = new SqliteGuardStore(db);
  for (let i = 0; i < 10; i++) {
    const tenant = i % 3 === 0 ? 'beta' : 'acme';
    const cost = i % 2 ? chatCost(qwenPlus, { prompt_tokens: 100 * i, completion_tokens: 10 * i }) : taskCost({ model: 'wanx2.1-t2i-turbo', parameters: {} }, { image_count: 1 })!;
    const entry: LedgerEntry = { id: `e-${i}`, tenant, model: i % 2 ? 'qwen-plus' : 'wanx2.1-t2i-turbo', kind: i % 2 ? 'chat' : 'task', at: monthStart(i).toISOString(), costMicros: cost.micros, units: cost.units };
    entries.push(entry);
    // settled twice: the ledger records it once
    await store.settle({ entry }, new Date());
    await store.settle({ entry }, new Date());
  }
  server = createServer((req, res) => void createHttpHandler({ ...h.deps, guards: store })(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  db.close();
  h.close();
});

const sum = (list: LedgerEntry[]) => list.reduce((n, e) => n + e.costMicros, 0);

describe('usage over the SQLite GuardStore', () => {
  it('sums every entry once across the store’s pages', async () => {
    const query = { from: monthStart(0), to: monthStart(60), groupBy: 'tenant' as const };
    const r = await usageReport({ guards: store, cnyPerUsd: 7.2 }, admin, query, { pageSize: 3, maxEntries: 100 });
    expect(r.total.requests).toBe(10);
    expect(Math.round(r.total.cost_cny * 1e6)).toBe(sum(entries));
    expect(r.data.map((d) => [d.tenant, d.requests, Math.round(d.cost_cny * 1e6)])).toEqual([
      ['acme', 6, sum(entries.filter((e) => e.tenant === 'acme'))],
      ['beta', 4, sum(entries.filter((e) => e.tenant === 'beta'))],
    ]);
    const images = r.data.reduce((n, d) => n + (d.units.images ?? 0), 0);
    expect(images).toBe(5);
  });

  it('reads only the range asked, [from, to)', async () => {
    const r = await usageReport({ guards: store, cnyPerUsd: 7.2 }, admin, { from: monthStart(2), to: monthStart(5), groupBy: 'model' }, { pageSize: 2, maxEntries: 100 });
    expect(r.total.requests).toBe(3);
  });

  it('refuses a range past the cap instead of summing part of it', async () => {
    await expect(usageReport({ guards: store, cnyPerUsd: 7.2 }, admin, { from: monthStart(0), to: monthStart(60), groupBy: 'day' }, { pageSize: 4, maxEntries: 9 })).rejects.toMatchObject({ code: 'usage_too_large' });
  });

  it('answers GET /v1/usage and npm run usage -- --json with the same report', async () => {
    const res = await fetch(`${base}/v1/usage?group_by=model&tenant=acme`);
    expect(res.status).toBe(200);
    const http = (await res.json()) as Record<string, unknown>;
    const out: string[] = [];
    const code = await runUsage(['--group-by', 'model', '--tenant', 'acme', '--json'], {
      guards: () => store,
      cnyPerUsd: () => 7.2,
      now: () => new Date(http.to as string),
      out: (l) => void out.push(l),
      err: () => undefined,
    });
    expect(code).toBe(0);
    expect(JSON.parse(out[0]!)).toEqual(http);
    expect(http).toMatchObject({ tenant: 'acme', total: { requests: 6 } });
  });
});
