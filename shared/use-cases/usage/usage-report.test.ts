import { describe, expect, it } from 'vitest';
import { FakeLedger, ledgerEntry } from '../../../test/support/fake-ledger.ts';
import type { Principal } from '../../domain/tenant.ts';
import { GuardStoreError } from '../../ports/guard-store.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import type { UsageQuery } from './usage-query.ts';
import { usageReport, UsageTooLargeError } from './usage-report.ts';

const admin: Principal = { tenant: 'ops', role: 'admin', limits: {}, budgets: {} };
const acme: Principal = { tenant: 'acme', role: 'app', limits: {}, budgets: {} };
const december: UsageQuery = { from: new Date('2026-12-01T00:00:00Z'), to: new Date('2026-12-04T00:00:00Z'), groupBy: 'model' };

function ledger(): FakeLedger {
  return new FakeLedger([
    ledgerEntry({ tenant: 'acme', at: '2026-12-01T10:00:00Z', model: 'qwen-plus', costMicros: 1_800, units: { prompt_tokens: 1_000, completion_tokens: 500 } }),
    ledgerEntry({ tenant: 'acme', at: '2026-12-02T10:00:00Z', model: 'qwen3-max', costMicros: 16_740, units: { prompt_tokens: 24, completion_tokens: 1_668, reasoning_tokens: 1_353 } }),
    ledgerEntry({ tenant: 'acme', at: '2026-12-02T23:59:59.999Z', model: 'wanx2.1-t2i-plus', kind: 'task', costMicros: 600_000, units: { images: 3 } }),
    ledgerEntry({ tenant: 'beta', at: '2026-12-03T00:00:00Z', model: 'qwen-plus', costMicros: 2_000, units: { prompt_tokens: 100, completion_tokens: 960 } }),
    // outside the range: the day before and exactly at `to`
    ledgerEntry({ tenant: 'acme', at: '2026-11-30T23:59:59Z', costMicros: 99_000 }),
    ledgerEntry({ tenant: 'beta', at: '2026-12-04T00:00:00Z', costMicros: 99_000 }),
  ]);
}
const deps = (guards = ledger()) => ({ guards, cnyPerUsd: 7.2 });

describe('usageReport', () => {
  it('sums an admin’s report by model across tenants, in CNY and USD, units summed', async () => {
    const r = await usageReport(deps(), admin, december);
    expect(r).toEqual({
      object: 'usage',
      from: '2026-12-01T00:00:00.000Z',
      to: '2026-12-04T00:00:00.000Z',
      group_by: 'model',
      cny_per_usd: 7.2,
      data: [
        { model: 'qwen-plus', requests: 2, cost_cny: 0.0038, cost_usd: 0.000528, units: { completion_tokens: 1_460, prompt_tokens: 1_100 } },
        { model: 'qwen3-max', requests: 1, cost_cny: 0.01674, cost_usd: 0.002325, units: { completion_tokens: 1_668, prompt_tokens: 24, reasoning_tokens: 1_353 } },
        { model: 'wanx2.1-t2i-plus', requests: 1, cost_cny: 0.6, cost_usd: 0.083333, units: { images: 3 } },
      ],
      total: { requests: 4, cost_cny: 0.62054, cost_usd: 0.086186 },
    });
  });

  it('groups by tenant and by UTC day, [from, to)', async () => {
    const byTenant = await usageReport(deps(), admin, { ...december, groupBy: 'tenant' });
    expect(byTenant.data.map((d) => [d.tenant, d.requests, d.cost_cny])).toEqual([
      ['acme', 3, 0.61854],
      ['beta', 1, 0.002],
    ]);
    const byDay = await usageReport(deps(), admin, { ...december, groupBy: 'day' });
    expect(byDay.data.map((d) => [d.day, d.requests])).toEqual([
      ['2026-12-01', 1],
      ['2026-12-02', 2],
      ['2026-12-03', 1],
    ]);
  });

  it('shows an app key only its own tenant’s entries, and asks the store for only those', async () => {
    const guards = ledger();
    const r = await usageReport(deps(guards), acme, { ...december, groupBy: 'tenant' });
    expect(r.tenant).toBe('acme');
    expect(r.data.map((d) => d.tenant)).toEqual(['acme']);
    expect(r.total.requests).toBe(3);
    expect(guards.queries.every((q) => q.tenant === 'acme')).toBe(true);
  });

  it('drops another tenant’s entries even if a store ignored the filter', async () => {
    const guards = ledger();
    const leaky = { listLedger: (q: Parameters<FakeLedger['listLedger']>[0]) => guards.listLedger({ ...q, tenant: undefined as never }) };
    const r = await usageReport({ guards: leaky, cnyPerUsd: 7.2 }, acme, { ...december, groupBy: 'tenant' });
    expect(r.data.map((d) => d.tenant)).toEqual(['acme']);
  });

  it('refuses an app key naming another tenant, and takes it naming its own', async () => {
    const e = await usageReport(deps(), acme, { ...december, tenant: 'beta' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e).toMatchObject({ param: 'tenant' });
    expect((await usageReport(deps(), acme, { ...december, tenant: 'acme' })).total.requests).toBe(3);
  });

  it('lets an admin filter by tenant', async () => {
    const r = await usageReport(deps(), admin, { ...december, groupBy: 'tenant', tenant: 'beta' });
    expect(r).toMatchObject({ tenant: 'beta', total: { requests: 1, cost_cny: 0.002 } });
  });

  it('answers an empty range with no rows and zero totals', async () => {
    const r = await usageReport(deps(), admin, { from: new Date('2026-10-01T00:00:00Z'), to: new Date('2026-10-02T00:00:00Z'), groupBy: 'day' });
    expect(r.data).toEqual([]);
    expect(r.total).toEqual({ requests: 0, cost_cny: 0, cost_usd: 0 });
  });

  it('pages through the ledger, summing every page', async () => {
    const guards = new FakeLedger(Array.from({ length: 25 }, (_, i) => ledgerEntry({ tenant: 'acme', at: new Date(Date.UTC(2026, 11, 1, 0, i)).toISOString(), costMicros: 7 })));
    const r = await usageReport(deps(guards), admin, december, { pageSize: 10, maxEntries: 100 });
    expect(r.total).toMatchObject({ requests: 25, cost_cny: 0.000175 });
    expect(guards.queries.map((q) => q.cursor)).toEqual([undefined, '10', '20']);
    expect(guards.queries.every((q) => q.limit === 10)).toBe(true);
  });

  it('refuses, never truncates, a range with more entries than one report reads', async () => {
    const guards = new FakeLedger(Array.from({ length: 21 }, (_, i) => ledgerEntry({ tenant: 'acme', at: new Date(Date.UTC(2026, 11, 1, 0, i)).toISOString() })));
    const e = await usageReport(deps(guards), admin, december, { pageSize: 10, maxEntries: 20 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageTooLargeError);
    expect(e).toMatchObject({ code: 'usage_too_large' });
    expect((e as Error).message).toContain('more than 20 ledger entries');
    // exactly at the cap is fine
    guards.entries.pop();
    expect((await usageReport(deps(guards), admin, december, { pageSize: 10, maxEntries: 20 })).total.requests).toBe(20);
  });

  it('stops on a store that answers the cursor it was given instead of looping', async () => {
    const stuck = { listLedger: () => Promise.resolve({ entries: [], next: 'same' }) };
    await expect(usageReport({ guards: stuck, cnyPerUsd: 7.2 }, admin, december)).rejects.toThrow(GuardStoreError);
  });
});
