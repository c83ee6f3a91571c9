// The guard's policy over the real SQLite GuardStore: tenant limits per minute with Retry-After, the account's
// per-second limit, budgets reserved and settled (never overshot by more than one estimate), reservations that
// expire, costs recorded once, and budget alerts raised once per threshold and period.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../adapters/sqlite/database.ts';
import { SqliteGuardStore } from '../../adapters/sqlite/sqlite-guard-store.ts';
import { requireModel } from '../../catalog/catalog.ts';
import type { Principal } from '../../domain/tenant.ts';
import { silentLogger } from '../../log/logger.ts';
import type { DomainEvent } from '../../ports/event-bus.ts';
import { createGuard, type Demand, type GuardConfig } from './guard.ts';
import { BudgetExceededError, RateLimitedError } from './guard-errors.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup(config: Partial<GuardConfig> = {}, start = '2026-12-03T10:00:20.000Z') {
  const dir = mkdtempSync(join(tmpdir(), 'guard-'));
  const db = openDatabase(join(dir, 'local.db'));
  cleanups.push(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const store = new SqliteGuardStore(db);
  let now = new Date(start);
  const events: DomainEvent[] = [];
  const guard = createGuard({
    guards: store,
    clock: { now: () => now },
    logger: silentLogger,
    events: { publish: async (e) => void events.push(...e) },
    config: { GUARDS: 'on', BUDGET_ENFORCEMENT: 'block', CNY_PER_USD: 5, ACCOUNT_LIMIT_WAIT_MS: 0, ...config },
  });
  return { guard, store, events, advance: (ms: number) => (now = new Date(now.getTime() + ms)), at: () => now };
}

const plus = requireModel('qwen-plus', 'chat');
const acme: Principal = { tenant: 'acme', role: 'app', limits: {}, budgets: {} };
let seq = 0;
const demand = (over: Partial<Demand> = {}): Demand => ({ principal: acme, model: plus, ref: `chat:r${++seq}`, upstreamRequests: 1, tokens: 10, costMicros: 1_000_000, holdMs: 60_000, ...over });
const bill = (costMicros: number) => ({ kind: 'chat' as const, costMicros, units: { prompt_tokens: 1 }, tokens: 10 });

describe('createGuard', () => {
  it('refuses past a tenant × model RPM with a Retry-After to the end of the minute, per model', async () => {
    const { guard } = setup();
    const p: Principal = { ...acme, limits: { rpm: 2 } };
    await guard.admit(demand({ principal: p }));
    await guard.admit(demand({ principal: p }));
    const e = await guard.admit(demand({ principal: p })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RateLimitedError);
    expect(e).toMatchObject({ scope: 'tenant-rpm', retryAfterS: 40, code: 'rate_limit_exceeded' });
    // another model has its own window; another tenant its own
    await guard.admit(demand({ principal: p, model: requireModel('qwen-turbo', 'chat') }));
    await guard.admit(demand({ principal: { ...p, tenant: 'other' } }));
  });

  it('lets a new minute in again', async () => {
    const { guard, advance } = setup();
    const p: Principal = { ...acme, limits: { rpm: 1 } };
    await guard.admit(demand({ principal: p }));
    await expect(guard.admit(demand({ principal: p }))).rejects.toBeInstanceOf(RateLimitedError);
    advance(40_000);
    await guard.admit(demand({ principal: p }));
  });

  it('corrects the TPM estimate with the tokens used', async () => {
    const { guard, store, at } = setup();
    const p: Principal = { ...acme, limits: { tpm: 100 } };
    const a = await guard.admit(demand({ principal: p, tokens: 90 }));
    await a.settle({ ...bill(10), tokens: 20 });
    const minute = at().toISOString().slice(0, 16);
    // the tenant's window and the account's both count what was used, not the estimate
    expect(await store.read([`tpm|acme|qwen-plus|${minute}`, `atpm|qwen-plus|${minute}`])).toEqual([
      expect.objectContaining({ held: 20 }),
      expect.objectContaining({ held: 20 }),
    ]);
    await guard.admit(demand({ principal: p, tokens: 90 }));
  });

  it("answers the account's per-second limit with a 429 once the wait allowed is over", async () => {
    const { guard } = setup({ ACCOUNT_LIMIT_WAIT_MS: 0 });
    const tts = requireModel('qwen3-tts-flash'); // 180 RPM: 3 per second
    for (let i = 0; i < 3; i++) await guard.admit(demand({ model: tts, tokens: 0 }));
    await expect(guard.admit(demand({ model: tts, tokens: 0 }))).rejects.toMatchObject({ scope: 'account', retryAfterS: 1 });
  });

  it("waits out the account's per-second limit when it may", async () => {
    const { guard } = setup({ ACCOUNT_LIMIT_WAIT_MS: 5_000 }, new Date().toISOString());
    // the clock is fixed, so the window never ends: the wait is bounded and then refused
    const tts = requireModel('qwen3-tts-flash');
    for (let i = 0; i < 3; i++) await guard.admit(demand({ model: tts, tokens: 0 }));
    const controller = new AbortController();
    const pending = guard.admit(demand({ model: tts, tokens: 0, signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('client left')), 50);
    await expect(pending).rejects.toThrow('client left');
  });

  it('reserves budgets before the call: admitted while under, 402 once spent, never over by more than one estimate', async () => {
    const { guard } = setup({ BUDGET_DAILY_USD: 1 }); // 5 CNY = 5,000,000 micro-CNY
    const admitted: unknown[] = [];
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => guard.admit(demand({ costMicros: 2_000_000 }))));
    for (const r of results) if (r.status === 'fulfilled') admitted.push(r.value);
    // 0, 2 and 4 million are under 5 million: three admissions, held 6 million ≤ 5 + one estimate
    expect(admitted).toHaveLength(3);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(BudgetExceededError);
    expect(refused.reason).toMatchObject({ scope: 'global', period: 'day', resetsAt: '2026-12-04T00:00:00.000Z' });
  });

  it('settles the real cost: the budget frees what was reserved and not spent; a repeated settle records nothing', async () => {
    const { guard, store } = setup({ BUDGET_DAILY_USD: 1 });
    const a = await guard.admit(demand({ costMicros: 4_000_000 }));
    await a.settle(bill(500_000));
    await a.settle(bill(500_000));
    await guard.settle('chat:other', 'acme', 'qwen-plus', undefined);
    const [day] = await store.read(['budget|global|day|2026-12-03']);
    expect(day).toMatchObject({ spent: 500_000, held: 0 });
    const ledger = await store.listLedger({ from: new Date(0), to: new Date('2027-01-01'), limit: 10 });
    expect(ledger.entries).toHaveLength(1);
    expect(ledger.entries[0]).toMatchObject({ tenant: 'acme', model: 'qwen-plus', kind: 'chat', costMicros: 500_000 });
  });

  it('releases what a failed call reserved, and lets a reservation nobody settles expire', async () => {
    const { guard, store, advance } = setup({ BUDGET_DAILY_USD: 1 });
    const failed = await guard.admit(demand({ costMicros: 4_000_000 }));
    await failed.release();
    await guard.admit(demand({ costMicros: 4_000_000, holdMs: 30_000 }));
    await guard.admit(demand({ costMicros: 4_000_000, holdMs: 30_000 }));
    await expect(guard.admit(demand({ costMicros: 4_000_000 }))).rejects.toBeInstanceOf(BudgetExceededError);
    expect(await guard.expire()).toBe(0);
    advance(31_000);
    expect(await guard.expire()).toBe(2);
    expect((await store.read(['budget|global|day|2026-12-03']))[0]).toMatchObject({ spent: 0, held: 0 });
    await guard.admit(demand({ costMicros: 4_000_000 }));
    const ledger = await store.listLedger({ from: new Date(0), to: new Date('2027-01-01'), limit: 10 });
    expect(ledger.entries).toEqual([]);
  });

  it('admits a ref it admitted before without holding twice (a retried submission whose first attempt died)', async () => {
    const { guard, store } = setup({ BUDGET_DAILY_USD: 1 });
    await guard.admit(demand({ ref: 'task:t1', costMicros: 1_000_000 }));
    const again = await guard.admit(demand({ ref: 'task:t1', costMicros: 1_000_000 }));
    expect((await store.read(['budget|global|day|2026-12-03']))[0]).toMatchObject({ held: 1_000_000 });
    await again.settle(bill(300_000));
    expect((await store.read(['budget|global|day|2026-12-03']))[0]).toMatchObject({ held: 0, spent: 300_000 });
  });

  it("holds a tenant's own budgets apart from the others'", async () => {
    const { guard } = setup();
    const capped: Principal = { ...acme, budgets: { monthlyUsd: 0.1 } }; // 0.5 CNY
    await guard.admit(demand({ principal: capped, costMicros: 600_000 }));
    await expect(guard.admit(demand({ principal: capped }))).rejects.toMatchObject({ scope: 'tenant', period: 'month', resetsAt: '2027-01-01T00:00:00.000Z' });
    await guard.admit(demand({ principal: { ...acme, tenant: 'other' } }));
  });

  it('raises budget.threshold at 50, 80 and 100 % once per threshold and period', async () => {
    const { guard, events, advance } = setup({ BUDGET_DAILY_USD: 1 });
    const spend = async (micros: number) => (await guard.admit(demand({ costMicros: micros }))).settle(bill(micros));
    await spend(2_000_000); // 40 %
    expect(events).toEqual([]);
    await spend(1_000_000); // 60 %: crosses 50
    await spend(1_500_000); // 90 %: crosses 80
    await spend(100_000); // 92 %: nothing new
    await spend(1_000_000); // 112 %: crosses 100
    expect(events.map((e) => (e.data as { threshold: number }).threshold)).toEqual([50, 80, 100]);
    expect(events[0]).toMatchObject({ type: 'budget.threshold', subject: 'global', id: 'budget.threshold.global.day.2026-12-03.50', data: { scope: 'global', period: 'day', limit_usd: 1, enforcement: 'block' } });
    await expect(guard.admit(demand())).rejects.toBeInstanceOf(BudgetExceededError);
    // the next day starts from nothing
    advance(86_400_000);
    await spend(3_000_000);
    expect(events.map((e) => e.id).at(-1)).toBe('budget.threshold.global.day.2026-12-04.50');
  });

  it('alerts at 100 % when the spend lands exactly on the limit admission enforces', async () => {
    // 0.002 USD × 7.2 is 14,400.000000000002 micro-CNY in floating point; admission enforces 14,400
    const { guard, events } = setup({ BUDGET_DAILY_USD: 0.002, CNY_PER_USD: 7.2 });
    for (const micros of [7_200, 7_200]) await (await guard.admit(demand({ costMicros: micros }))).settle(bill(micros));
    expect(events.map((e) => (e.data as { threshold: number }).threshold)).toEqual([50, 80, 100]);
    await expect(guard.admit(demand())).rejects.toBeInstanceOf(BudgetExceededError);
  });

  it('only alerts in alert mode: nothing is refused past 100 %', async () => {
    const { guard, events } = setup({ BUDGET_DAILY_USD: 1, BUDGET_ENFORCEMENT: 'alert' });
    for (let i = 0; i < 4; i++) await (await guard.admit(demand({ costMicros: 2_000_000 }))).settle(bill(2_000_000));
    expect(events.map((e) => (e.data as { threshold: number; enforcement: string }).threshold)).toEqual([50, 80, 100]);
  });

  it('records nothing and limits nothing with GUARDS=off', async () => {
    const { guard, store } = setup({ GUARDS: 'off', BUDGET_DAILY_USD: 0.000001 });
    const p: Principal = { ...acme, limits: { rpm: 1 } };
    for (let i = 0; i < 3; i++) await (await guard.admit(demand({ principal: p }))).settle(bill(1));
    expect((await store.listLedger({ from: new Date(0), to: new Date('2027-01-01'), limit: 10 })).entries).toEqual([]);
  });

  it('asks a budget refusal once more after the store\'s settlement lag: a call just answered on another instance no longer holds its estimate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'guard-lag-'));
    const [dbP, dbQ] = [openDatabase(join(dir, 'local.db')), openDatabase(join(dir, 'local.db'))];
    cleanups.push(() => {
      dbP.close();
      dbQ.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const now = new Date('2026-12-03T10:00:20.000Z');
    const instance = (store: SqliteGuardStore) =>
      createGuard({ guards: store, clock: { now: () => now }, logger: silentLogger, events: { publish: async () => {} }, config: { GUARDS: 'on', BUDGET_ENFORCEMENT: 'block', CNY_PER_USD: 5, ACCOUNT_LIMIT_WAIT_MS: 0 } });
    const [storeP, storeQ] = [new SqliteGuardStore(dbP), new SqliteGuardStore(dbQ)];
    const [p, q] = [instance(storeP), instance(storeQ)];
    expect(storeP.settleLagMs).toBeGreaterThan(0);
    // 0.15 USD = 750,000 micro-CNY a day; each call reserves 1,000,000 and really costs 100,000
    const principal: Principal = { ...acme, budgets: { dailyUsd: 0.15 } };
    const first = await p.admit(demand({ principal }));
    // answered: its settlement waits in P's process, Q's admission still sees the estimate held
    const settled = first.settle(bill(100_000));
    const second = await q.admit(demand({ principal }));
    await settled;
    expect(await storeQ.read([`budget|tenant:acme|day|2026-12-03`])).toEqual([expect.objectContaining({ spent: 100_000, held: 1_000_000 })]);
    await second.settle(bill(100_000));
    // a budget really spent is still refused after the second look
    const spend = await q.admit(demand({ principal }));
    await spend.settle(bill(600_000));
    await expect(q.admit(demand({ principal }))).rejects.toBeInstanceOf(BudgetExceededError);
  });
});
