// The guards' parts timed alone, in this process, on a SQLite file like a local DATA_DIR's: the key check (cache
// hit, and TTL 0, i.e. one store read), admit and settle, so bench/guard-overhead can say where its time goes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LocalEventBus } from '../../shared/adapters/local-bus/local-event-bus.ts';
import { openDatabase } from '../../shared/adapters/sqlite/database.ts';
import { SqliteGuardStore } from '../../shared/adapters/sqlite/sqlite-guard-store.ts';
import { SqliteKeyStore } from '../../shared/adapters/sqlite/sqlite-key-store.ts';
import { requireModel } from '../../shared/catalog/catalog.ts';
import { estimateChatCost } from '../../shared/catalog/pricing.ts';
import { createLogger } from '../../shared/log/logger.ts';
import { uuidIds, type Clock } from '../../shared/ports/clock.ts';
import { createGuard, type Demand } from '../../shared/use-cases/guards/guard.ts';
import { createAuthenticator, type Authenticate } from '../../shared/use-cases/tenants/authenticate.ts';
import { createClientKey } from '../../shared/use-cases/tenants/client-keys.ts';
import { percentile, summarize, type Summary } from './stats.ts';

export interface MicroFigure {
  part: string;
  /** What one operation does, for the table. */
  what: string;
  /** Milliseconds per operation, and its 90th percentile. */
  summary: Summary & { p90: number };
}

export interface MicroPlan {
  /** Timed operations per part. */
  iterations: number;
  /** Untimed operations per part first (JIT, SQLite page cache). */
  warmup: number;
}

/** The same limits and budgets as the bench's server B: high enough never to refuse. */
export const NEVER_REFUSING = {
  limits: { rpm: 10_000_000, tpm: 1_000_000_000 },
  budgets: { dailyUsd: 1_000_000, monthlyUsd: 10_000_000 },
  global: { dailyUsd: 10_000_000, monthlyUsd: 100_000_000 },
};

async function time(plan: MicroPlan, op: (i: number) => Promise<unknown>): Promise<Summary & { p90: number }> {
  for (let i = 0; i < plan.warmup; i++) await op(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < plan.iterations; i++) {
    const t0 = performance.now();
    await op(i);
    samples.push(performance.now() - t0);
  }
  return { ...summarize(samples), p90: percentile(samples.sort((a, b) => a - b), 90) };
}

export async function measureGuardParts(plan: MicroPlan): Promise<MicroFigure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-guard-micro-'));
  const db = openDatabase(join(dir, 'local.db'));
  try {
    const keys = new SqliteKeyStore(db);
    const store = new SqliteGuardStore(db);
    const secret = 'bench-guard-micro-secret-0123456789abcdef';
    // the clock moves 5 ms per reading, so admissions stay under the account's per-second limit of the model
    // (qwen-plus: 500/s) however fast this loop runs, while windows still roll over as they do in a server
    let t = Date.now();
    const clock: Clock = { now: () => new Date((t += 5)) };
    const { key } = await createClientKey({ keys, clock, ids: uuidIds, clientKeySecret: () => secret }, { name: 'bench', limits: NEVER_REFUSING.limits, budgets: NEVER_REFUSING.budgets });
    const auth = (mode: 'local' | 'cloud', cacheMs: number): Authenticate =>
      createAuthenticator({ keys, clientKeySecret: () => secret }, { mode, allowAnonymous: false, cacheMs });
    const guard = createGuard({
      guards: store,
      events: new LocalEventBus(),
      clock,
      logger: createLogger('silent'),
      config: {
        GUARDS: 'on',
        BUDGET_DAILY_USD: NEVER_REFUSING.global.dailyUsd,
        BUDGET_MONTHLY_USD: NEVER_REFUSING.global.monthlyUsd,
        BUDGET_ENFORCEMENT: 'block',
        CNY_PER_USD: 7.2,
        ACCOUNT_LIMIT_WAIT_MS: 5_000,
      },
    });
    const principal = { tenant: 'bench', limits: NEVER_REFUSING.limits, budgets: NEVER_REFUSING.budgets };
    const model = requireModel('qwen-plus', 'chat');
    // what the bench's chat request asks: a short prompt, max_tokens 64 (chatDemand's figures for it)
    const demand = (ref: string): Demand => ({ principal, model, ref, upstreamRequests: 1, tokens: 84, costMicros: estimateChatCost(model, 80, 64).micros, holdMs: 420_000 });
    const bill = { kind: 'chat' as const, costMicros: 90, units: { input_tokens: 18, output_tokens: 32 }, tokens: 50, upstreamRef: 'bench' };

    const out: MicroFigure[] = [];
    const hit = auth('local', 60_000);
    out.push({ part: 'key check, cache hit', what: 'HMAC of the key, its row from the process cache', summary: await time(plan, () => hit(key)) });
    const listing = auth('local', 0);
    out.push({ part: 'key check, TTL 0 (local)', what: "HMAC, one SQLite read (local mode's list of keys)", summary: await time(plan, () => listing(key)) });
    const byDigest = auth('cloud', 0);
    out.push({ part: 'key check, TTL 0 (by digest)', what: 'HMAC, one SQLite read by digest (as cloud mode asks Table Store)', summary: await time(plan, () => byDigest(key)) });
    const run = `${Date.now()}`;
    const admissions: Awaited<ReturnType<typeof guard.admit>>[] = [];
    out.push({
      part: 'admit',
      what: '1 transaction: RPM, TPM, account RPS and TPM, 4 budgets, 1 reservation',
      summary: await time(plan, async (i) => admissions.push(await guard.admit(demand(`chat:${run}-${i}`)))),
    });
    let next = 0;
    out.push({
      part: 'settle alone',
      what: '1 transaction of its own (no other settlement waiting): ledger entry, 4 spend counters, reservation released, TPM corrected',
      summary: await time({ warmup: plan.warmup, iterations: admissions.length - plan.warmup }, async () => {
        const written = admissions[next++]!.settle(bill);
        store.flushSettlements();
        await written;
      }),
    });
    // as in a server: each call's settlement waits and is written with the others of the last few milliseconds;
    // each operation ends with a turn of the event loop (as a server's requests come in I/O turns), in which the
    // timer writing the waiting settlements runs when due
    const settled: Promise<void>[] = [];
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const both = await time(plan, async (i) => {
      settled.push((await guard.admit(demand(`chat:${run}-both-${i}`))).settle(bill));
      await turn();
    });
    store.flushSettlements();
    await Promise.all(settled);
    out.push({ part: 'admit + settle', what: "what a request adds besides its key check: its admission, and its settlement written with the others waiting", summary: both });
    return out;
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}
