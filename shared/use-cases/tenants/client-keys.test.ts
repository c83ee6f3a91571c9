import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { uuidIds } from '../../ports/clock.ts';
import { MemoryKeyStore } from '../../../test/support/memory-key-store.ts';
import {
  CLIENT_KEY_PATTERN,
  clientKeyDigest,
  createClientKey,
  generateClientKey,
  InvalidKeyRequestError,
  listClientKeys,
  revokeClientKeys,
  sameDigest,
} from './client-keys.ts';

const SECRET = 'test-client-key-secret-0123456789abcdef';
const clock = { now: () => new Date('2026-03-01T08:00:00.000Z') };
const depsOf = (keys = new MemoryKeyStore()) => ({ keys, clock, ids: uuidIds, clientKeySecret: () => SECRET });

describe('client keys', () => {
  it('are dsfc_ and 40 letters and digits, different every time', () => {
    const keys = Array.from({ length: 200 }, () => generateClientKey());
    for (const k of keys) expect(k).toMatch(CLIENT_KEY_PATTERN);
    expect(new Set(keys).size).toBe(keys.length);
    const chars = new Set(keys.join('').replaceAll('dsfc_', ''));
    expect(chars.size).toBeGreaterThan(55);
  });

  it('draw again for random bytes of 248 and above, so every character is equally likely', () => {
    let calls = 0;
    // first all 255s (every byte refused), then 0..39 → the first 40 characters of the alphabet
    const random = (n: number) => Buffer.from(calls++ === 0 ? Array(n).fill(255) : Array.from({ length: n }, (_, i) => i + 248 * (i % 2)));
    const key = generateClientKey(random);
    expect(key).toMatch(CLIENT_KEY_PATTERN);
    expect(calls).toBeGreaterThan(1);
  });

  it('are stored as HMAC-SHA256 under the server secret, never as themselves', async () => {
    const store = new MemoryKeyStore();
    const { key, stored } = await createClientKey(depsOf(store), { name: 'acme', role: 'admin', limits: { rpm: 60 }, budgets: { monthlyUsd: 50 } });
    expect(stored.hash).toBe(createHmac('sha256', SECRET).update(key).digest('hex'));
    expect(stored).toMatchObject({ name: 'acme', role: 'admin', limits: { rpm: 60 }, budgets: { monthlyUsd: 50 }, revoked: false, createdAt: '2026-03-01T08:00:00.000Z' });
    expect(stored.id).toMatch(/^key_[0-9a-f]{32}$/);
    expect(JSON.stringify(store.keys)).not.toContain(key.slice(5));
  });

  it('refuses a name that is not a tenant name, or limits that are not positive, and stores nothing', async () => {
    const store = new MemoryKeyStore();
    const bad = [
      [{ name: 'Acme' }, 'name'],
      [{ name: 'a b' }, 'name'],
      [{ name: '-x' }, 'name'],
      [{ name: 'x'.repeat(64) }, 'name'],
      [{ name: 'ok', limits: { rpm: 0 } }, 'rpm'],
      [{ name: 'ok', limits: { tpm: 1.5 } }, 'tpm'],
      [{ name: 'ok', budgets: { dailyUsd: -1 } }, 'daily-budget'],
      [{ name: 'ok', budgets: { monthlyUsd: Number.NaN } }, 'monthly-budget'],
    ] as const;
    for (const [request, field] of bad) {
      const e = await createClientKey(depsOf(store), request).catch((x: unknown) => x);
      expect(e, JSON.stringify(request)).toBeInstanceOf(InvalidKeyRequestError);
      expect((e as InvalidKeyRequestError).field).toBe(field);
    }
    expect(store.calls.create).toBe(0);
  });

  it('are listed and revoked without their digest', async () => {
    const deps = depsOf();
    await createClientKey(deps, { name: 'acme' });
    await createClientKey(deps, { name: 'beta' });
    const listed = await listClientKeys(deps.keys);
    expect(listed.map((k) => k.name).sort()).toEqual(['acme', 'beta']);
    for (const k of listed) expect(k).not.toHaveProperty('hash');
    const revoked = await revokeClientKeys(deps, 'beta');
    expect(revoked).toEqual([expect.objectContaining({ name: 'beta', revoked: true, revokedAt: '2026-03-01T08:00:00.000Z' })]);
    expect(revoked[0]).not.toHaveProperty('hash');
  });

  it('compare digests whole and only as 32-byte digests', () => {
    const d = clientKeyDigest(SECRET, 'dsfc_x');
    expect(sameDigest(d, d)).toBe(true);
    expect(sameDigest(d, clientKeyDigest(SECRET, 'dsfc_y'))).toBe(false);
    expect(sameDigest(d, d.slice(0, 62))).toBe(false);
    expect(sameDigest('', '')).toBe(false);
  });
});
