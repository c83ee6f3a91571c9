// The guards every billed call passes: per tenant × model rate limits, the account's upstream limits (waited
// out, so bursts are smoothed rather than refused by DashScope), and budgets reserved before the call and
// settled after, all through the GuardStore so they hold across instances. One store call to admit, one to settle.
import type { Config } from '../../config/config.ts';
import type { Model } from '../../catalog/catalog.ts';
import { usdToMicros } from '../../catalog/pricing.ts';
import type { LedgerEntry, LedgerKind } from '../../domain/ledger.ts';
import type { Principal, TenantBudgets } from '../../domain/tenant.ts';
import type { Logger } from '../../log/logger.ts';
import type { Clock } from '../../ports/clock.ts';
import type { EventBus } from '../../ports/event-bus.ts';
import { ReservationExistsError, type CounterCharge, type GuardStore } from '../../ports/guard-store.ts';
import type { CallerSignal } from '../../streams/cancellation.ts';
import { sleep } from '../../streams/sleep.ts';
import { budgetAlerts } from './budget-alerts.ts';
import { BudgetExceededError, RateLimitedError, type BudgetPeriod, type BudgetScope } from './guard-errors.ts';
import { keyKind, keys, minuteWindow, periodWindow, secondWindow, type Window } from './windows.ts';

export type GuardConfig = Pick<Config, 'GUARDS' | 'BUDGET_DAILY_USD' | 'BUDGET_MONTHLY_USD' | 'BUDGET_ENFORCEMENT' | 'CNY_PER_USD' | 'ACCOUNT_LIMIT_WAIT_MS'>;

export interface GuardDeps {
  guards: GuardStore;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  config: GuardConfig;
  /** A tenant's budgets when only its name is known (a task settled by poll-task); default: none. */
  budgetsOf?: (tenant: string) => Promise<TenantBudgets>;
}

/** What a call asks for before it goes upstream. */
export interface Demand {
  principal: Pick<Principal, 'tenant' | 'limits' | 'budgets'>;
  model: Model;
  /** The call's identity: its ledger entry's id and its reservation's (`chat:<requestId>`, `task:<taskId>`). */
  ref: string;
  /**
   * Upstream requests it will send now (embedding batches; 1 for a chat), counted against the account's
   * per-second limit; 0 for a task, whose create the task lifecycle paces (a throttled create is retried later).
   */
  upstreamRequests: number;
  /** Tokens it is expected to use (input and output), for TPM; 0 for media. */
  tokens: number;
  /** An upper bound of its cost, micro-CNY: what a budget reserves. */
  costMicros: number;
  /** How long the reservation holds if it is never settled (the call's longest life). */
  holdMs: number;
  /** Stops a wait for the account's limit. */
  signal?: CallerSignal;
}

/** What a call cost, once known. */
export interface Bill {
  kind: LedgerKind;
  costMicros: number;
  units: Record<string, number>;
  /** Tokens actually used (corrects the TPM estimate). */
  tokens?: number;
  /** DashScope's request id or the task id. */
  upstreamRef?: string;
}

export interface Admission {
  /** Records the cost once (repeats record nothing) and settles the reservation. */
  settle(bill: Bill): Promise<void>;
  /** Nothing is billed (the call failed before DashScope billed it): the reservation is released. */
  release(): Promise<void>;
}

export interface Guard {
  /** False with GUARDS=off: admit() admits everything and records nothing. */
  readonly enabled: boolean;
  /** Admits the call or throws RateLimitedError / BudgetExceededError; nothing is charged for a refusal. */
  admit(demand: Demand): Promise<Admission>;
  /** Settles a call admitted elsewhere (a task finished in poll-task): by its ref, once. */
  settle(ref: string, tenant: string, model: string, bill: Bill | undefined): Promise<void>;
  /** Releases reservations whose calls never settled (the timer's work); returns how many. */
  expire(limit?: number): Promise<number>;
}

/**
 * Runs a settlement once the answer is written (the next turn of the event loop): the client never waits for
 * the ledger, which in the cloud is a store round trip. `work` must not throw (it logs what it cannot record).
 * On Function Compute an instance frozen right after its answer finishes the settlement when it next runs; one
 * reclaimed in between loses the entry, and the call's reservation expires.
 */
export function settleAfterAnswer(work: () => Promise<void>): void {
  setImmediate(() => void work());
}

/** What a disabled guard admits with: settling and releasing do nothing. */
export const NOOP_ADMISSION: Admission = { settle: async () => {}, release: async () => {} };
const reservationId = (ref: string) => `res|${ref}`;
const PERIODS: readonly BudgetPeriod[] = ['day', 'month'];

export function createGuard(deps: GuardDeps): Guard {
  const { guards: store, clock, config } = deps;
  const enabled = config.GUARDS === 'on';
  const budgetMicros = (usd: number) => usdToMicros(usd, config.CNY_PER_USD);
  const globalBudgets: TenantBudgets = {
    ...(config.BUDGET_DAILY_USD !== undefined ? { dailyUsd: config.BUDGET_DAILY_USD } : {}),
    ...(config.BUDGET_MONTHLY_USD !== undefined ? { monthlyUsd: config.BUDGET_MONTHLY_USD } : {}),
  };
  const blocking = config.BUDGET_ENFORCEMENT === 'block';
  const budgetOf = (b: TenantBudgets, period: BudgetPeriod) => (period === 'day' ? b.dailyUsd : b.monthlyUsd);

  /** The budget windows the call's cost counts in, now: global and tenant, day and month. */
  function spendWindows(tenant: string, now: Date) {
    const out: { scope: BudgetScope; period: BudgetPeriod; window: Window; key: string }[] = [];
    for (const scope of ['global', 'tenant'] as const) {
      for (const period of PERIODS) {
        const window = periodWindow(period, now);
        out.push({ scope, period, window, key: keys.budget(scope, tenant, period, window) });
      }
    }
    return out;
  }

  function charges(d: Demand, now: Date): { list: CounterCharge[]; budgetKeys: string[]; tokenKeys: string[] } {
    const list: CounterCharge[] = [];
    const { tenant, limits } = d.principal;
    const minute = minuteWindow(now);
    const afterMinute = new Date(minute.end + 60_000);
    // the token counters charged with the estimate, corrected by the tokens used once the call settles
    const tokenKeys: string[] = [];
    if (limits.rpm !== undefined) list.push({ key: keys.tenantRpm(tenant, d.model.id, minute), amount: 1, limit: limits.rpm, rule: 'fit', expiresAt: afterMinute });
    if (limits.tpm !== undefined) {
      tokenKeys.push(keys.tenantTpm(tenant, d.model.id, minute));
      list.push({ key: tokenKeys[0]!, amount: d.tokens, limit: limits.tpm, rule: 'under', expiresAt: afterMinute });
    }
    // the account's limits (every tenant together), as DashScope counts them: requests per second, tokens per minute
    const l = d.model.limits as { rpm?: number; tpm?: number; submitsPerSecond?: number };
    const perSecond = l.submitsPerSecond ?? (l.rpm !== undefined ? Math.max(1, Math.floor(l.rpm / 60)) : undefined);
    if (perSecond !== undefined && d.upstreamRequests > 0) {
      const second = secondWindow(now);
      list.push({ key: keys.accountRequests(d.model.id, second), amount: d.upstreamRequests, limit: perSecond, rule: 'under', expiresAt: new Date(second.end + 60_000) });
    }
    if (l.tpm !== undefined && d.tokens > 0) {
      tokenKeys.push(keys.accountTokens(d.model.id, minute));
      list.push({ key: tokenKeys.at(-1)!, amount: d.tokens, limit: l.tpm, rule: 'under', expiresAt: afterMinute });
    }
    const budgetKeys: string[] = [];
    for (const w of spendWindows(tenant, now)) {
      const usd = budgetOf(w.scope === 'global' ? globalBudgets : d.principal.budgets, w.period);
      if (usd === undefined) continue;
      budgetKeys.push(w.key);
      // alert-only budgets still reserve, so the alerts see the same figures, but never refuse
      const limit = blocking ? budgetMicros(usd) : Number.MAX_SAFE_INTEGER;
      list.push({ key: w.key, amount: d.costMicros, limit, rule: 'under', expiresAt: new Date(w.window.end + 86_400_000) });
    }
    return { list, budgetKeys, tokenKeys };
  }

  function refusal(charge: CounterCharge, d: Demand, now: Date): Error {
    const kind = keyKind(charge.key);
    const nowMs = now.getTime();
    if (kind === 'budget') {
      const [, scopePart, period] = charge.key.split('|') as [string, string, BudgetPeriod];
      const scope: BudgetScope = scopePart === 'global' ? 'global' : 'tenant';
      const resetsAt = new Date(periodWindow(period, now).end).toISOString();
      const whose = scope === 'global' ? "this service's" : `tenant '${d.principal.tenant}'`;
      const which = period === 'day' ? 'daily' : 'monthly';
      const said = scope === 'global' ? `${whose} ${which} budget is spent` : `the ${which} budget of ${whose} is spent`;
      return new BudgetExceededError(scope, period, resetsAt, `${said}; it resets at ${resetsAt}`);
    }
    const end = kind === 'account' && charge.key.startsWith('arps|') ? secondWindow(now).end : minuteWindow(now).end;
    const retryAfterS = Math.max(1, Math.ceil((end - nowMs) / 1000));
    if (kind === 'tenant-rpm') return new RateLimitedError('tenant-rpm', retryAfterS, `rate limit reached: ${charge.limit} requests per minute to '${d.model.id}' for tenant '${d.principal.tenant}'; retry in ${retryAfterS} s`);
    if (kind === 'tenant-tpm') return new RateLimitedError('tenant-tpm', retryAfterS, `rate limit reached: ${charge.limit} tokens per minute to '${d.model.id}' for tenant '${d.principal.tenant}'; retry in ${retryAfterS} s`);
    return new RateLimitedError('account', retryAfterS, `the DashScope account's limit for '${d.model.id}' is reached; retry in ${retryAfterS} s`);
  }

  async function settle(ref: string, tenant: string, model: string, bill: Bill | undefined, budgets: TenantBudgets | undefined, tpm?: { keys: string[]; estimated: number; expiresAt: Date }): Promise<void> {
    const now = clock.now();
    const windows = spendWindows(tenant, now);
    const entry: LedgerEntry | undefined = bill && {
      id: ref,
      tenant,
      model,
      kind: bill.kind,
      at: now.toISOString(),
      costMicros: bill.costMicros,
      units: bill.units,
      ...(bill.upstreamRef ? { ref: bill.upstreamRef } : {}),
    };
    const adjustments = tpm && bill?.tokens !== undefined && bill.tokens !== tpm.estimated ? tpm.keys.map((key) => ({ key, amount: bill.tokens! - tpm.estimated, expiresAt: tpm.expiresAt })) : [];
    const r = await store.settle(
      {
        reservationId: reservationId(ref),
        ...(entry ? { entry, spendKeys: windows.map((w) => ({ key: w.key, expiresAt: new Date(w.window.end + 86_400_000) })) } : {}),
        ...(adjustments.length ? { adjustments } : {}),
      },
      now,
    );
    if (!r.recorded || !entry) return;
    const tenantBudgets = budgets ?? (deps.budgetsOf ? await deps.budgetsOf(tenant) : {});
    const alerts = budgetAlerts(windows, r.spend, (w) => budgetOf(w.scope === 'global' ? globalBudgets : tenantBudgets, w.period), tenant, config, now);
    for (const event of alerts) {
      if (!(await store.claimAlert(event.id, now))) continue;
      try {
        await deps.events.publish([event]);
        deps.logger.warn('budget threshold reached', { tenant, eventId: event.id, ...(event.data as Record<string, unknown>) });
      } catch (e) {
        deps.logger.error('budget alert not published', { tenant, eventId: event.id, error: e });
      }
    }
  }

  return {
    enabled,
    async admit(d) {
      if (!enabled) return NOOP_ADMISSION;
      // the wait is bounded in real time (an injected clock may stand still)
      const started = performance.now();
      let rechecked = false;
      for (;;) {
        const now = clock.now();
        const { list, budgetKeys, tokenKeys } = charges(d, now);
        const reservation = budgetKeys.length ? { id: reservationId(d.ref), keys: budgetKeys, amount: d.costMicros, expiresAt: new Date(now.getTime() + d.holdMs) } : undefined;
        let r: Awaited<ReturnType<GuardStore['admit']>>;
        try {
          r = await store.admit({ charges: list, ...(reservation ? { reservation } : {}) }, now);
        } catch (e) {
          // admitted before under the same ref (a retried submission whose first attempt died): that stands
          if (!(e instanceof ReservationExistsError)) throw e;
          r = { admitted: true };
        }
        if (r.admitted) {
          const tpm = tokenKeys.length ? { keys: tokenKeys, estimated: d.tokens, expiresAt: new Date(minuteWindow(now).end + 60_000) } : undefined;
          return {
            settle: (bill) => settle(d.ref, d.principal.tenant, d.model.id, bill, d.principal.budgets, tpm),
            release: () => settle(d.ref, d.principal.tenant, d.model.id, undefined, d.principal.budgets),
          };
        }
        const error = refusal(r.refused, d, now);
        // the account's limit is waited out (its windows are a second long), within ACCOUNT_LIMIT_WAIT_MS
        if (error instanceof RateLimitedError && error.scope === 'account') {
          const wait = secondWindow(now).end - now.getTime() + Math.floor(Math.random() * 50);
          if (performance.now() + wait - started <= config.ACCOUNT_LIMIT_WAIT_MS) {
            await sleep(wait, d.signal);
            continue;
          }
        }
        // what settlements take back (a budget's estimates, the tenant's tokens) is asked once more after the
        // store's settlement lag: calls answered just before, here or on another instance, may still hold their
        // estimate, and a client told "budget exceeded" should not find it false a moment later
        const settleable = error instanceof BudgetExceededError || (error instanceof RateLimitedError && error.scope === 'tenant-tpm');
        if (settleable && !rechecked && store.settleLagMs > 0) {
          rechecked = true;
          await sleep(2 * store.settleLagMs, d.signal);
          continue;
        }
        throw error;
      }
    },
    async settle(ref, tenant, model, bill) {
      if (!enabled) return;
      await settle(ref, tenant, model, bill, undefined);
    },
    async expire(limit = 500) {
      if (!enabled) return 0;
      return store.expireReservations(clock.now(), limit);
    },
  };
}
