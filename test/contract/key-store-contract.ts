// The one contract every KeyStore adapter must pass (SQLite locally, Table Store in the cloud): keys found by their
// digest only, faithful round trips, create-once on id and digest, revocation by id or tenant exactly once.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyExistsError, type KeyStore, type StoredKey } from '../../shared/ports/key-store.ts';

export interface KeyStoreContractOptions {
  /** Label for the describe block, e.g. 'sqlite'. */
  name?: string;
  /** A fresh, empty store. */
  create: () => KeyStore | Promise<KeyStore>;
  /** Releases what create() opened. */
  dispose?: (store: KeyStore) => void | Promise<void>;
}

let seq = 0;
/** A key as the key use cases store it; the hash is any 64 hex digits here (the store never computes one). */
export function makeStoredKey(over: Partial<StoredKey> = {}): StoredKey {
  seq += 1;
  return {
    id: `key_contract${seq.toString().padStart(4, '0')}`,
    name: 'tenant-a',
    role: 'app',
    hash: createHash('sha256').update(`contract key ${seq} ${Math.random()}`).digest('hex'),
    limits: {},
    budgets: {},
    revoked: false,
    createdAt: new Date(Date.UTC(2026, 2, 1, 10, 0, seq)).toISOString(),
    ...over,
  };
}

const NOW = new Date('2026-03-02T09:00:00.000Z');

export function runKeyStoreContract(options: KeyStoreContractOptions): void {
  describe(`KeyStore contract${options.name ? ` (${options.name})` : ''}`, () => {
    const opened: KeyStore[] = [];
    const fresh = async () => {
      const s = await options.create();
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await options.dispose?.(s);
    });

    it('finds nothing and lists nothing in an empty store', async () => {
      const store = await fresh();
      expect(await store.findByHash('0'.repeat(64))).toBeUndefined();
      expect(await store.list()).toEqual([]);
    });

    it('stores a key and reads back every field by its digest, limits and budgets included', async () => {
      const store = await fresh();
      const full = makeStoredKey({ name: 'acme_prod', role: 'admin', limits: { rpm: 60, tpm: 100_000 }, budgets: { dailyUsd: 5, monthlyUsd: 120.5 } });
      const bare = makeStoredKey({ name: 'acme-dev' });
      await store.create(full);
      await store.create(bare);
      expect(await store.findByHash(full.hash)).toEqual(full);
      expect(await store.findByHash(bare.hash)).toEqual(bare);
      // a digest is matched whole: neither a prefix nor another case finds it
      expect(await store.findByHash(full.hash.slice(0, 63))).toBeUndefined();
      expect(await store.findByHash(full.hash.toUpperCase())).toBeUndefined();
    });

    it('refuses a second key with the same digest or the same id, and keeps the first', async () => {
      const store = await fresh();
      const first = makeStoredKey();
      await store.create(first);
      await expect(store.create(makeStoredKey({ hash: first.hash }))).rejects.toBeInstanceOf(KeyExistsError);
      await expect(store.create(makeStoredKey({ id: first.id }))).rejects.toBeInstanceOf(KeyExistsError);
      expect(await store.list()).toEqual([first]);
    });

    it('lets exactly one of several concurrent creates of one digest win', async () => {
      const store = await fresh();
      const hash = makeStoredKey().hash;
      const results = await Promise.allSettled(Array.from({ length: 4 }, () => store.create(makeStoredKey({ hash }))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(KeyExistsError);
      expect(await store.list()).toHaveLength(1);
    });

    it('lists every key, revoked ones included, oldest first', async () => {
      const store = await fresh();
      const keys = [makeStoredKey({ name: 'b' }), makeStoredKey({ name: 'a' }), makeStoredKey({ name: 'c' })];
      for (const k of [keys[2]!, keys[0]!, keys[1]!]) await store.create(k);
      await store.revoke(keys[1]!.id, NOW);
      const listed = await store.list();
      expect(listed.map((k) => k.id)).toEqual(keys.map((k) => k.id));
      expect(listed[1]).toEqual({ ...keys[1], revoked: true, revokedAt: NOW.toISOString() });
    });

    it('revokes a key by its id: returns it revoked, and the digest then finds it revoked', async () => {
      const store = await fresh();
      const key = makeStoredKey();
      const other = makeStoredKey();
      await store.create(key);
      await store.create(other);
      expect(await store.revoke(key.id, NOW)).toEqual([{ ...key, revoked: true, revokedAt: NOW.toISOString() }]);
      expect(await store.findByHash(key.hash)).toEqual({ ...key, revoked: true, revokedAt: NOW.toISOString() });
      expect((await store.findByHash(other.hash))?.revoked).toBe(false);
    });

    it('revokes every key of a tenant by its name, and returns only what it revoked this time', async () => {
      const store = await fresh();
      const old = makeStoredKey({ name: 'rotating' });
      const current = makeStoredKey({ name: 'rotating' });
      const neighbour = makeStoredKey({ name: 'rotating-2' });
      for (const k of [old, current, neighbour]) await store.create(k);
      await store.revoke(old.id, new Date('2026-03-01T12:00:00.000Z'));
      const revoked = await store.revoke('rotating', NOW);
      expect(revoked.map((k) => k.id)).toEqual([current.id]);
      expect((await store.findByHash(old.hash))?.revokedAt).toBe('2026-03-01T12:00:00.000Z');
      expect((await store.findByHash(neighbour.hash))?.revoked).toBe(false);
      expect(await store.revoke('rotating', NOW)).toEqual([]);
    });

    it('revokes nothing for a name or id it does not hold', async () => {
      const store = await fresh();
      await store.create(makeStoredKey({ name: 'kept' }));
      expect(await store.revoke('nobody', NOW)).toEqual([]);
      expect(await store.revoke('key_missing', NOW)).toEqual([]);
      expect((await store.list()).every((k) => !k.revoked)).toBe(true);
    });

    it('reports a key revoked by one of two concurrent revocations only once', async () => {
      const store = await fresh();
      const key = makeStoredKey({ name: 'raced' });
      await store.create(key);
      const results = await Promise.all([store.revoke(key.id, NOW), store.revoke('raced', new Date(NOW.getTime() + 1)), store.revoke(key.id, NOW)]);
      expect(results.flat().map((k) => k.id)).toEqual([key.id]);
    });
  });
}
