// The guards' refusals: a tenant over its rate limit (429 with Retry-After) and a budget spent (402). Both
// are decided before anything is sent upstream, so nothing is billed for a refused request.

/** What a rate limit counts. */
export type RateLimitScope = 'tenant-rpm' | 'tenant-tpm' | 'account';

export class RateLimitedError extends Error {
  override name = 'RateLimitedError';
  readonly code = 'rate_limit_exceeded';
  constructor(
    readonly scope: RateLimitScope,
    /** Whole seconds until the window that refused ends (≥ 1). */
    readonly retryAfterS: number,
    message: string,
  ) {
    super(message);
  }
}

export type BudgetScope = 'global' | 'tenant';
export type BudgetPeriod = 'day' | 'month';

export class BudgetExceededError extends Error {
  override name = 'BudgetExceededError';
  readonly code = 'budget_exceeded';
  constructor(
    readonly scope: BudgetScope,
    readonly period: BudgetPeriod,
    /** When the budget's period ends (ISO 8601). */
    readonly resetsAt: string,
    message: string,
  ) {
    super(message);
  }
}
