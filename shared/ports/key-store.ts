// KeyStore: the client keys, stored only as HMAC digests (Table Store in the cloud, SQLite locally). A key is
// looked up by its digest; the key itself is shown once at creation and never stored, listed or logged.
import type { TenantBudgets, TenantLimits, TenantRole } from '../domain/tenant.ts';

export interface StoredKey {
  /** `key_…`: names the key in lists and logs (the key's own characters never appear anywhere). */
  id: string;
  /** The tenant the key acts for (TENANT_NAME_PATTERN). Several keys may name one tenant (rotation). */
  name: string;
  role: TenantRole;
  /** HMAC-SHA256 of the key under the server's secret, lower-case hex. Unique. */
  hash: string;
  limits: TenantLimits;
  budgets: TenantBudgets;
  revoked: boolean;
  createdAt: string;
  revokedAt?: string;
}

export class KeyStoreError extends Error {
  override name = 'KeyStoreError';
}

/** create() of a key whose id or digest already exists. */
export class KeyExistsError extends KeyStoreError {
  override name = 'KeyExistsError';
}

export interface KeyStore {
  /** Stores a new key; throws KeyExistsError when its id or hash is taken. */
  create(key: StoredKey): Promise<void>;
  /** The key with this digest, revoked or not; undefined when none. */
  findByHash(hash: string): Promise<StoredKey | undefined>;
  /** Every key, revoked ones included, oldest first. */
  list(): Promise<StoredKey[]>;
  /**
   * Revokes the key with this id, or every key of the tenant with this name; returns the keys it revoked
   * (already revoked ones are left as they were and not returned).
   */
  revoke(idOrName: string, now: Date): Promise<StoredKey[]>;
}
