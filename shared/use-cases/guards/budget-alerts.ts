// Budget alerts: a settlement whose spend crosses 50, 80 or 100 % of a budget raises `budget.threshold`, with
// an id stable per budget, period and threshold, so it is claimed and published once.
import { usdToMicros } from '../../catalog/pricing.ts';
import { fromMicros } from '../../domain/ledger.ts';
import { EVENT_SOURCE, type DomainEvent } from '../../ports/event-bus.ts';
import type { GuardConfig } from './guard.ts';
import type { BudgetPeriod, BudgetScope } from './guard-errors.ts';
import type { Window } from './windows.ts';

export const BUDGET_THRESHOLDS = [50, 80, 100] as const;

interface SpendWindow {
  scope: BudgetScope;
  period: BudgetPeriod;
  window: Window;
  key: string;
}

const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;

/** The events for every threshold a settlement crossed (spent before < threshold ≤ spent after). */
export function budgetAlerts(
  windows: readonly SpendWindow[],
  spend: readonly { key: string; before: number; after: number }[],
  limitUsdOf: (w: SpendWindow) => number | undefined,
  tenant: string,
  config: Pick<GuardConfig, 'CNY_PER_USD' | 'BUDGET_ENFORCEMENT'>,
  now: Date,
): DomainEvent[] {
  const events: DomainEvent[] = [];
  for (const w of windows) {
    const usd = limitUsdOf(w);
    const s = spend.find((x) => x.key === w.key);
    if (usd === undefined || !s) continue;
    // the limit admission enforces, to the micro-CNY
    const limitMicros = usdToMicros(usd, config.CNY_PER_USD);
    for (const threshold of BUDGET_THRESHOLDS) {
      const at = (limitMicros * threshold) / 100;
      if (!(s.before < at && s.after >= at)) continue;
      const subject = w.scope === 'global' ? 'global' : `tenant:${tenant}`;
      const spentCny = fromMicros(s.after);
      events.push({
        specversion: '1.0',
        id: `budget.threshold.${w.scope === 'global' ? 'global' : `tenant.${tenant}`}.${w.period}.${w.window.id}.${threshold}`,
        source: EVENT_SOURCE,
        type: 'budget.threshold',
        subject,
        time: now.toISOString(),
        datacontenttype: 'application/json',
        data: {
          scope: w.scope,
          ...(w.scope === 'tenant' ? { tenant } : {}),
          period: w.period,
          window: w.window.id,
          threshold,
          limit_usd: usd,
          spent_usd: round(spentCny / config.CNY_PER_USD, 6),
          spent_cny: round(spentCny, 6),
          enforcement: config.BUDGET_ENFORCEMENT,
        },
      });
    }
  }
  return events;
}
