// Counter keys and their windows: tenant limits per UTC minute, the account's upstream limits per second
// (how DashScope enforces RPM) and minute, budgets per UTC day and month. One place builds and reads them.
import type { BudgetPeriod, BudgetScope } from './guard-errors.ts';

export interface Window {
  /** Its id inside a counter key: `2026-12-03T15:46`, `2026-12-03T15:46:05`, `2026-12-03`, `2026-12`. */
  id: string;
  start: number;
  end: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A window function that remembers the last window it made: every request of a minute (or second, day, month)
 * asks for the same one, and formatting its id is most of the work. Windows are read-only.
 */
function remembered(startOf: (ms: number) => number, make: (start: number) => Window): (now: Date) => Window {
  let last: Window | undefined;
  return (now) => {
    const start = startOf(now.getTime());
    if (last?.start !== start) last = Object.freeze(make(start));
    return last;
  };
}

const floorTo = (unit: number) => (ms: number) => Math.floor(ms / unit) * unit;

export const minuteWindow = remembered(floorTo(60_000), (start) => ({ id: new Date(start).toISOString().slice(0, 16), start, end: start + 60_000 }));

export const secondWindow = remembered(floorTo(1_000), (start) => ({ id: new Date(start).toISOString().slice(0, 19), start, end: start + 1_000 }));

export const dayWindow = remembered(floorTo(86_400_000), (start) => ({ id: new Date(start).toISOString().slice(0, 10), start, end: start + 86_400_000 }));

export const monthWindow = remembered(
  (ms) => {
    const d = new Date(ms);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  },
  (start) => {
    const d = new Date(start);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth();
    return { id: `${y}-${pad(m + 1)}`, start, end: Date.UTC(y, m + 1, 1) };
  },
);

export const periodWindow = (period: BudgetPeriod, now: Date): Window => (period === 'day' ? dayWindow(now) : monthWindow(now));

/** Counter keys. `|` never occurs in a tenant name or a model id the catalogue knows. */
export const keys = {
  tenantRpm: (tenant: string, model: string, w: Window) => `rpm|${tenant}|${model}|${w.id}`,
  tenantTpm: (tenant: string, model: string, w: Window) => `tpm|${tenant}|${model}|${w.id}`,
  accountRequests: (model: string, w: Window) => `arps|${model}|${w.id}`,
  accountTokens: (model: string, w: Window) => `atpm|${model}|${w.id}`,
  budget: (scope: BudgetScope, tenant: string, period: BudgetPeriod, w: Window) =>
    scope === 'global' ? `budget|global|${period}|${w.id}` : `budget|tenant:${tenant}|${period}|${w.id}`,
};

/** Which guard a counter key belongs to. */
export function keyKind(key: string): 'tenant-rpm' | 'tenant-tpm' | 'account' | 'budget' {
  if (key.startsWith('rpm|')) return 'tenant-rpm';
  if (key.startsWith('tpm|')) return 'tenant-tpm';
  if (key.startsWith('budget|')) return 'budget';
  return 'account';
}
