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

export function minuteWindow(now: Date): Window {
  const start = Math.floor(now.getTime() / 60_000) * 60_000;
  return { id: new Date(start).toISOString().slice(0, 16), start, end: start + 60_000 };
}

export function secondWindow(now: Date): Window {
  const start = Math.floor(now.getTime() / 1_000) * 1_000;
  return { id: new Date(start).toISOString().slice(0, 19), start, end: start + 1_000 };
}

export function dayWindow(now: Date): Window {
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { id: new Date(start).toISOString().slice(0, 10), start, end: start + 86_400_000 };
}

export function monthWindow(now: Date): Window {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  return { id: `${y}-${pad(m + 1)}`, start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
}

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
