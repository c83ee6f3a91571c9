// A tenant by its name, for work that arrives without a key (an inbox upload, a task billed by poll-task): the
// limits and budgets of its newest active key in the store, remembered per process for a while.
import { appPrincipal, type Principal, type TenantBudgets } from '../../domain/tenant.ts';
import type { KeyStore } from '../../ports/key-store.ts';
import { principalOfKey } from './client-keys.ts';

export interface TenantDirectory {
  /** The tenant's principal (role app, no limits or budgets when no active key names it). */
  principal(tenant: string): Promise<Principal>;
  budgets(tenant: string): Promise<TenantBudgets>;
}

/** How long the store's keys are trusted: a changed budget reaches alerts and inbox tasks within it. */
export const DIRECTORY_TTL_MS = 30_000;

export function createTenantDirectory(keys: Pick<KeyStore, 'list'>, now: () => number = () => performance.now(), ttlMs = DIRECTORY_TTL_MS): TenantDirectory {
  let cached: { at: number; byName: Promise<Map<string, Principal>> } | undefined;
  const load = async () => {
    const byName = new Map<string, Principal>();
    // oldest first: the newest active key of a name wins
    for (const k of await keys.list()) if (!k.revoked) byName.set(k.name, { ...principalOfKey(k), role: 'app' });
    return byName;
  };
  const directory = (): Promise<Map<string, Principal>> => {
    const t = now();
    if (!cached || t - cached.at > ttlMs) {
      const byName = load();
      cached = { at: t, byName };
      // a failed read is not remembered
      byName.catch(() => {
        if (cached?.byName === byName) cached = undefined;
      });
    }
    return cached.byName;
  };
  const principal = async (tenant: string): Promise<Principal> => {
    const found = (await directory()).get(tenant);
    return found ? { ...found, tenant } : appPrincipal(tenant);
  };
  return { principal, budgets: async (tenant) => (await principal(tenant)).budgets };
}
