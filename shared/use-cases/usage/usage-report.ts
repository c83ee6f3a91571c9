// The usage report: the cost ledger between two instants, summed by tenant, model or UTC day, in CNY and USD. A
// tenant sees only its own entries; an admin sees every tenant's and may name one.
import { toUsd } from '../../catalog/pricing.ts';
import { canSee, type Principal } from '../../domain/tenant.ts';
import { fromMicros, type LedgerEntry } from '../../domain/ledger.ts';
import { GuardStoreError, type GuardStore } from '../../ports/guard-store.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import type { UsageGroupBy, UsageQuery } from './usage-query.ts';

export interface UsageDeps {
  guards: Pick<GuardStore, 'listLedger'>;
  /** CNY_PER_USD. */
  cnyPerUsd: number;
}

export interface UsageLimits {
  /** Entries asked of the store per page. */
  pageSize: number;
  /** Entries read at most for one report; past it the report is refused (never a silent partial sum). */
  maxEntries: number;
}

export const USAGE_LIMITS: UsageLimits = { pageSize: 1_000, maxEntries: 100_000 };

/** One group: its key under the group_by name (`tenant`, `model` or `day`), and its sums. */
export type UsageRow = { [K in UsageGroupBy]?: string } & {
  /** Ledger entries: one per billed call (chat, embeddings, speech) or finished task. */
  requests: number;
  cost_cny: number;
  cost_usd: number;
  /** Each unit the entries counted (prompt_tokens, completion_tokens, images, seconds, characters…), summed. */
  units: Record<string, number>;
};

export interface UsageReport {
  object: 'usage';
  from: string;
  to: string;
  group_by: UsageGroupBy;
  /** The tenant the report is limited to: the caller's own for an app key, the filter for an admin, else absent. */
  tenant?: string;
  cny_per_usd: number;
  data: UsageRow[];
  total: { requests: number; cost_cny: number; cost_usd: number };
}

/** A report that would read more ledger entries than one report may (UsageLimits.maxEntries). */
export class UsageTooLargeError extends InvalidRequestError {
  override name = 'UsageTooLargeError';
  constructor(maxEntries: number) {
    super('usage_too_large', `more than ${maxEntries} ledger entries fall in this range; ask for a shorter one (from, to) or one tenant`, 'from');
  }
}

/** Whose entries the report covers: an app key only its own, naming another tenant is refused. */
function scopeOf(principal: Pick<Principal, 'tenant' | 'role'>, asked: string | undefined): string | undefined {
  if (principal.role === 'admin') return asked;
  if (asked !== undefined && asked !== principal.tenant) {
    throw new InvalidRequestError('invalid_query_parameter', "query parameter 'tenant': this key sees only its own tenant's usage; only an admin key may name another tenant", 'tenant');
  }
  return principal.tenant;
}

const keyOf = (e: LedgerEntry, by: UsageGroupBy): string => (by === 'tenant' ? e.tenant : by === 'model' ? e.model : new Date(e.at).toISOString().slice(0, 10));

interface Sum {
  requests: number;
  micros: number;
  units: Record<string, number>;
}

export async function usageReport(deps: UsageDeps, principal: Pick<Principal, 'tenant' | 'role'>, query: UsageQuery, limits: UsageLimits = USAGE_LIMITS): Promise<UsageReport> {
  const tenant = scopeOf(principal, query.tenant);
  const groups = new Map<string, Sum>();
  const total = { requests: 0, micros: 0 };
  const from = query.from.getTime();
  const to = query.to.getTime();
  let read = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.guards.listLedger({ from: query.from, to: query.to, ...(tenant !== undefined ? { tenant } : {}), ...(cursor !== undefined ? { cursor } : {}), limit: limits.pageSize });
    read += page.entries.length;
    if (read > limits.maxEntries) throw new UsageTooLargeError(limits.maxEntries);
    for (const e of page.entries) {
      // the store filters; this holds even if one did not
      const at = Date.parse(e.at);
      if (!canSee(principal, e.tenant) || (tenant !== undefined && e.tenant !== tenant) || !(at >= from && at < to)) continue;
      const key = keyOf(e, query.groupBy);
      let sum = groups.get(key);
      if (!sum) groups.set(key, (sum = { requests: 0, micros: 0, units: {} }));
      sum.requests++;
      sum.micros += e.costMicros;
      for (const [unit, n] of Object.entries(e.units)) sum.units[unit] = (sum.units[unit] ?? 0) + n;
      total.requests++;
      total.micros += e.costMicros;
    }
    if (page.next !== undefined && page.next === cursor) throw new GuardStoreError('listLedger answered the cursor it was given as the next one');
    cursor = page.next;
  } while (cursor !== undefined);

  const money = (micros: number) => ({ cost_cny: fromMicros(micros), cost_usd: toUsd(micros, deps.cnyPerUsd) });
  const data = [...groups.keys()].sort().map((key): UsageRow => {
    const sum = groups.get(key)!;
    const units = Object.fromEntries(Object.keys(sum.units).sort().map((u) => [u, sum.units[u]!]));
    return { [query.groupBy]: key, requests: sum.requests, ...money(sum.micros), units };
  });
  return {
    object: 'usage',
    from: query.from.toISOString(),
    to: query.to.toISOString(),
    group_by: query.groupBy,
    ...(tenant !== undefined ? { tenant } : {}),
    cny_per_usd: deps.cnyPerUsd,
    data,
    total: { requests: total.requests, ...money(total.micros) },
  };
}
