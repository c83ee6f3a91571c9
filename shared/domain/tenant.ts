// Tenants: whoever holds a client key acts for the tenant the key names. Everything a tenant creates (tasks,
// conversations, usage) is its own; an `admin` key sees every tenant's. Pure data, no I/O.

export type TenantRole = 'app' | 'admin';

/** Per tenant × model request limits, per calendar minute (UTC); absent: no limit of the tenant's own. */
export interface TenantLimits {
  rpm?: number;
  tpm?: number;
}

/** Spending limits in USD per UTC day and UTC month; absent: no budget of the tenant's own. */
export interface TenantBudgets {
  dailyUsd?: number;
  monthlyUsd?: number;
}

/** Who a request acts for. */
export interface Principal {
  /** The tenant's name: what owns tasks, conversations and ledger entries, and what log lines carry. */
  tenant: string;
  role: TenantRole;
  limits: TenantLimits;
  budgets: TenantBudgets;
  /** The id of the key presented (never the key); absent when no key was presented (open or anonymous). */
  keyId?: string;
}

/**
 * A tenant name: lower-case letters, digits, `-` and `_`, starting with a letter or digit, at most 63 characters.
 * It is written into object keys (`inbox/<tenant>/…`) and store keys, so nothing else is allowed.
 */
export const TENANT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The tenant of local mode with no key configured at all: one user, who sees everything. */
export const LOCAL_OPEN_TENANT = 'local';
/** The tenant of an HTTP call without a key where anonymous calls are allowed (ALLOW_ANONYMOUS=true). */
export const ANONYMOUS_TENANT = 'anonymous';

/** A tenant acting as an app with no limits or budgets of its own (only the service's apply). */
export function appPrincipal(tenant: string): Principal {
  return { tenant, role: 'app', limits: {}, budgets: {} };
}

/** Whether `principal` may see what `owner` created. */
export function canSee(principal: Pick<Principal, 'tenant' | 'role'>, owner: string | undefined): boolean {
  return principal.role === 'admin' || owner === principal.tenant;
}
