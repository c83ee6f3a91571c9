import type * as Crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../config/config.ts';
import type { StoredKey } from '../../ports/key-store.ts';
import { MemoryKeyStore } from '../../../test/support/memory-key-store.ts';
import { createAuthenticator, type AuthenticateSettings } from './authenticate.ts';
import { clientKeyDigest } from './client-keys.ts';

// every timingSafeEqual the module makes is counted, to show that a stored key's digest is compared through it
const compared = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof Crypto>();
  return {
    ...real,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.count++;
      return real.timingSafeEqual(a, b);
    },
  };
});

const SECRET = 'test-client-key-secret-0123456789abcdef';
const KEY = `dsfc_${'A'.repeat(20)}${'b'.repeat(20)}`;
const OTHER = `dsfc_${'C'.repeat(20)}${'d'.repeat(20)}`;

function stored(key: string, over: Partial<StoredKey> = {}): StoredKey {
  return {
    id: `key_${key.slice(-6)}`,
    name: 'acme',
    role: 'app',
    hash: clientKeyDigest(SECRET, key),
    limits: { rpm: 30 },
    budgets: { dailyUsd: 2 },
    revoked: false,
    createdAt: '2026-03-01T00:00:00.000Z',
    ...over,
  };
}

let store: MemoryKeyStore;
let clock: number;
const auth = (settings: Partial<AuthenticateSettings> = {}, secret: () => string = () => SECRET) =>
  createAuthenticator({ keys: store, clientKeySecret: secret, now: () => clock }, { mode: 'cloud', allowAnonymous: false, cacheMs: 5_000, ...settings });

beforeEach(() => {
  store = new MemoryKeyStore();
  clock = 1_000;
});

describe('createAuthenticator: keys of the store', () => {
  it("acts for the stored key's tenant with its role, limits, budgets and id, comparing digests in constant time", async () => {
    await store.create(stored(KEY, { role: 'admin' }));
    const before = compared.count;
    expect(await auth()(KEY)).toEqual({ principal: { tenant: 'acme', role: 'admin', limits: { rpm: 30 }, budgets: { dailyUsd: 2 }, keyId: 'key_bbbbbb' } });
    expect(compared.count).toBeGreaterThan(before);
  });

  it('refuses an unknown key and a revoked one with the same answer', async () => {
    await store.create(stored(KEY, { revoked: true, revokedAt: '2026-03-02T00:00:00.000Z' }));
    const a = auth({ cacheMs: 0 });
    expect(await a(KEY)).toEqual({ refused: 'invalid' });
    expect(await a(OTHER)).toEqual({ refused: 'invalid' });
    expect(await a('')).toEqual({ refused: 'invalid' });
  });

  it('a key made under another secret matches nothing', async () => {
    await store.create(stored(KEY));
    expect(await auth({}, () => `${SECRET}-rotated`)(KEY)).toEqual({ refused: 'invalid' });
  });

  it('asks the store once per digest per CLIENT_KEY_CACHE_MS, found or not, so a revocation takes effect within it', async () => {
    await store.create(stored(KEY));
    const a = auth({ cacheMs: 5_000 });
    expect('principal' in (await a(KEY))).toBe(true);
    expect(await a(OTHER)).toEqual({ refused: 'invalid' });
    expect(store.calls.findByHash).toBe(2);
    await store.revoke('acme', new Date());
    clock += 4_999;
    expect('principal' in (await a(KEY))).toBe(true);
    expect(await a(OTHER)).toEqual({ refused: 'invalid' });
    expect(store.calls.findByHash).toBe(2);
    clock += 1;
    expect(await a(KEY)).toEqual({ refused: 'invalid' });
    expect(store.calls.findByHash).toBe(3);
  });

  it('with CLIENT_KEY_CACHE_MS=0 asks the store on every request, one call each, and sees a revocation at once', async () => {
    await store.create(stored(KEY));
    const a = auth({ cacheMs: 0 });
    for (let i = 0; i < 3; i++) expect('principal' in (await a(KEY))).toBe(true);
    expect(store.total).toBe(1 + 3);
    await store.revoke('acme', new Date());
    expect(await a(KEY)).toEqual({ refused: 'invalid' });
  });

  it('remembers a bounded number of digests, forgetting the oldest first', async () => {
    const keys = [KEY, OTHER, `dsfc_${'E'.repeat(40)}`];
    const a = auth({ maxCached: 2 });
    for (const k of keys) await a(k);
    expect(store.calls.findByHash).toBe(3);
    await a(keys[2]);
    await a(keys[1]);
    expect(store.calls.findByHash).toBe(3);
    await a(keys[0]);
    expect(store.calls.findByHash).toBe(4);
  });
});

describe('createAuthenticator: CLIENT_API_KEYS', () => {
  it('matches configured keys first, each its own app tenant, without a store call', async () => {
    const a = auth({ configured: [{ name: 'key-1', key: 'bare-key-0123456789' }, { name: 'mobile', key: 'named-key-0123456789' }] });
    expect(await a('bare-key-0123456789')).toEqual({ principal: { tenant: 'key-1', role: 'app', limits: {}, budgets: {}, keyId: 'env-1' } });
    expect(await a('named-key-0123456789')).toMatchObject({ principal: { tenant: 'mobile', role: 'app', keyId: 'env-2' } });
    expect(store.total).toBe(0);
  });

  it('then the store, whose keys work alongside the configured ones', async () => {
    await store.create(stored(KEY));
    const a = auth({ configured: [{ name: 'key-1', key: 'bare-key-0123456789' }] });
    expect(await a(KEY)).toMatchObject({ principal: { tenant: 'acme' } });
    expect(await a('bare-key-0123456789x')).toEqual({ refused: 'invalid' });
  });

  it('in cloud mode without CLIENT_KEY_SECRET: another key is simply not valid when keys are configured; with none, the ConfigError says what to set', async () => {
    const noSecret = () => {
      throw new ConfigError('CLIENT_KEY_SECRET is not set', ['CLIENT_KEY_SECRET']);
    };
    expect(await auth({ configured: [{ name: 'key-1', key: 'bare-key-0123456789' }] }, noSecret)(KEY)).toEqual({ refused: 'invalid' });
    await expect(auth({}, noSecret)(KEY)).rejects.toThrow(/CLIENT_KEY_SECRET/);
  });
});

describe('createAuthenticator: requests without a key', () => {
  it('cloud mode: 401 missing without ALLOW_ANONYMOUS; with it, the anonymous app tenant, and presented keys are still checked', async () => {
    await store.create(stored(KEY));
    expect(await auth()(undefined)).toEqual({ refused: 'missing' });
    const open = auth({ allowAnonymous: true });
    expect(await open(undefined)).toEqual({ principal: { tenant: 'anonymous', role: 'app', limits: {}, budgets: {} } });
    expect(await open(OTHER)).toEqual({ refused: 'invalid' });
    expect(await open(KEY)).toMatchObject({ principal: { tenant: 'acme' } });
  });

  it('cloud mode with no key anywhere still refuses a keyless request', async () => {
    expect(await auth()(undefined)).toEqual({ refused: 'missing' });
    expect(store.total).toBe(0);
  });

  it('local mode with no key anywhere is open: any request, with a key or not, acts as the local admin', async () => {
    const a = auth({ mode: 'local', cacheMs: 0 });
    expect(await a(undefined)).toEqual({ principal: { tenant: 'local', role: 'admin', limits: {}, budgets: {} } });
    expect(await a('sk-anything')).toMatchObject({ principal: { tenant: 'local' } });
  });

  it('local mode closes once the store holds a key (one list() per request at most, none within the cache time)', async () => {
    const a = auth({ mode: 'local', cacheMs: 5_000 });
    expect(await a(undefined)).toMatchObject({ principal: { tenant: 'local' } });
    await store.create(stored(KEY));
    expect(await a('sk-anything')).toMatchObject({ principal: { tenant: 'local' } });
    expect(store.calls.list).toBe(1);
    clock += 5_000;
    expect(await a(undefined)).toEqual({ refused: 'missing' });
    expect(await a('sk-anything')).toEqual({ refused: 'invalid' });
    expect(await a(KEY)).toMatchObject({ principal: { tenant: 'acme', keyId: 'key_bbbbbb' } });
    expect(store.calls.list).toBe(2);
    expect(store.calls.findByHash).toBe(0);
  });

  it('local mode with CLIENT_API_KEYS is never open', async () => {
    const a = auth({ mode: 'local', configured: [{ name: 'key-1', key: 'bare-key-0123456789' }] });
    expect(await a(undefined)).toEqual({ refused: 'missing' });
    expect(await a('sk-anything')).toEqual({ refused: 'invalid' });
  });
});
