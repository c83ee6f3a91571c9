// The guard and the tenant directory of a process's Deps, built once per Deps object: what every function's
// entry point hands its use cases (chat, embeddings, task submission and billing, the timer's expiry of reservations).
import { createGuard, type Guard, type GuardDeps } from '../use-cases/guards/guard.ts';
import { createTenantDirectory, type TenantDirectory } from '../use-cases/tenants/tenant-directory.ts';
import type { Deps } from './deps.ts';

const guards = new WeakMap<object, Guard>();
const directories = new WeakMap<object, TenantDirectory>();

/** Tenants by name from the key store (their limits and budgets). */
export function tenantsOf(deps: Pick<Deps, 'keys'>): TenantDirectory {
  let d = directories.get(deps);
  if (!d) directories.set(deps, (d = createTenantDirectory(deps.keys)));
  return d;
}

/** The guard; with a key store, a tenant's own budgets reach the alerts of tasks billed without its key. */
export function guardOf(deps: Pick<Deps, 'guards' | 'events' | 'clock' | 'logger'> & Partial<Pick<Deps, 'keys'>> & Pick<GuardDeps, 'config'>): Guard {
  let guard = guards.get(deps);
  if (!guard) {
    const keys = deps.keys;
    const budgetsOf = keys ? (tenant: string) => tenantsOf({ keys }).budgets(tenant) : undefined;
    guard = createGuard({ guards: deps.guards, events: deps.events, clock: deps.clock, logger: deps.logger, config: deps.config, ...(budgetsOf ? { budgetsOf } : {}) });
    guards.set(deps, guard);
  }
  return guard;
}
