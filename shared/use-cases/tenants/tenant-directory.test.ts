// Tenants by name for work that comes without a key: the newest active key's limits and budgets, a tenant with no
// key as an app with none, the store read once per TTL, and a failed read not remembered.
import { describe, expect, it } from 'vitest';
import { makeStoredKey } from '../../../test/contract/key-store-contract.ts';
import { MemoryKeyStore } from '../../../test/support/memory-key-store.ts';
import { createTenantDirectory } from './tenant-directory.ts';

async function storeWith(...keys: Parameters<typeof makeStoredKey>[0][]) {
  const store = new MemoryKeyStore();
  for (const k of keys) await store.create(makeStoredKey(k));
  return store;
}

describe('createTenantDirectory', () => {
  it("gives a tenant its newest active key's limits and budgets, as an app; an unknown tenant none", async () => {
    const store = await storeWith(
      { name: 'acme', role: 'admin', limits: { rpm: 10 }, budgets: { dailyUsd: 1 } },
      { name: 'acme', limits: { rpm: 20 }, budgets: { monthlyUsd: 9 } },
      { name: 'acme', limits: { rpm: 99 }, revoked: true },
    );
    const d = createTenantDirectory(store);
    expect(await d.principal('acme')).toMatchObject({ tenant: 'acme', role: 'app', limits: { rpm: 20 }, budgets: { monthlyUsd: 9 } });
    expect(await d.budgets('acme')).toEqual({ monthlyUsd: 9 });
    expect(await d.principal('nobody')).toEqual({ tenant: 'nobody', role: 'app', limits: {}, budgets: {} });
  });

  it('reads the store once per TTL, and again after it', async () => {
    const store = await storeWith({ name: 'acme', budgets: { dailyUsd: 1 } });
    let now = 0;
    const d = createTenantDirectory(store, () => now, 1_000);
    await d.budgets('acme');
    await d.budgets('other');
    expect(store.calls.list).toBe(1);
    await store.create(makeStoredKey({ name: 'acme', budgets: { dailyUsd: 2 } }));
    now = 1_001;
    expect(await d.budgets('acme')).toEqual({ dailyUsd: 2 });
    expect(store.calls.list).toBe(2);
  });

  it('does not remember a read that failed', async () => {
    const store = await storeWith({ name: 'acme', budgets: { dailyUsd: 1 } });
    const list = store.list.bind(store);
    let fail = true;
    store.list = () => (fail ? Promise.reject(new Error('store down')) : list());
    const d = createTenantDirectory(store, () => 0);
    await expect(d.budgets('acme')).rejects.toThrow('store down');
    fail = false;
    expect(await d.budgets('acme')).toEqual({ dailyUsd: 1 });
  });
});
