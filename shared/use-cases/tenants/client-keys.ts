// Client keys as tenants: making a key (`dsfc_` + 40 random letters and digits, shown once), its digest under the
// server secret (the only form ever stored), a constant-time digest comparison, and listing and revoking keys.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { TENANT_NAME_PATTERN, type Principal, type TenantBudgets, type TenantLimits, type TenantRole } from '../../domain/tenant.ts';
import type { Clock, IdGenerator } from '../../ports/clock.ts';
import type { KeyStore, StoredKey } from '../../ports/key-store.ts';

export const CLIENT_KEY_PREFIX = 'dsfc_';
/** A client key: recognisable by this pattern wherever it leaks (logs, repositories, pastes). */
export const CLIENT_KEY_PATTERN = /^dsfc_[A-Za-z0-9]{40}$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const KEY_CHARS = 40;

/** A new client key from crypto randomness, every character equally likely (bytes ≥ 248 are drawn again). */
export function generateClientKey(random: (size: number) => Buffer = randomBytes): string {
  let key = CLIENT_KEY_PREFIX;
  while (key.length < CLIENT_KEY_PREFIX.length + KEY_CHARS) {
    for (const byte of random(KEY_CHARS)) {
      // 248 = 4 × 62: below it, byte % 62 is uniform
      if (byte < 248 && key.length < CLIENT_KEY_PREFIX.length + KEY_CHARS) key += ALPHABET[byte % ALPHABET.length];
    }
  }
  return key;
}

/** HMAC-SHA256 of a presented key under the server secret, lower-case hex: what the key store keeps and looks up. */
export function clientKeyDigest(secret: string, key: string): string {
  return createHmac('sha256', secret).update(key, 'utf8').digest('hex');
}

/** Whether two hex digests are equal, in time that does not depend on where they differ. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}

/** Who a stored key acts for. */
export function principalOfKey(key: StoredKey): Principal {
  return { tenant: key.name, role: key.role, limits: { ...key.limits }, budgets: { ...key.budgets }, keyId: key.id };
}

/** A request to make a key that cannot be honoured; `field` names what is wrong. */
export class InvalidKeyRequestError extends Error {
  override name = 'InvalidKeyRequestError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface NewKeyRequest {
  name: string;
  role?: TenantRole;
  limits?: TenantLimits;
  budgets?: TenantBudgets;
}

export interface ClientKeyDeps {
  keys: KeyStore;
  clock: Clock;
  ids: IdGenerator;
  /** The server secret (CLIENT_KEY_SECRET); asked only when a digest is made. */
  clientKeySecret: () => string;
}

/** What a listing shows of a key: everything but its digest. */
export type KeyListing = Omit<StoredKey, 'hash'>;

export const listingOf = ({ hash: _hash, ...rest }: StoredKey): KeyListing => rest;

function checkRequest(r: NewKeyRequest): void {
  if (!TENANT_NAME_PATTERN.test(r.name)) {
    throw new InvalidKeyRequestError('name', "the name must be lower-case letters, digits, '-' or '_', starting with a letter or digit, at most 63 characters");
  }
  if (r.role !== undefined && r.role !== 'app' && r.role !== 'admin') throw new InvalidKeyRequestError('role', 'the role is app or admin');
  for (const [field, value] of [['rpm', r.limits?.rpm], ['tpm', r.limits?.tpm]] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) throw new InvalidKeyRequestError(field, `${field} must be a whole number above 0`);
  }
  for (const [field, value] of [['daily-budget', r.budgets?.dailyUsd], ['monthly-budget', r.budgets?.monthlyUsd]] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new InvalidKeyRequestError(field, `${field} must be an amount of USD above 0`);
  }
}

const defined = <T extends object>(o: T | undefined): T => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as T;

/** Makes and stores a key; the key itself is in the answer and nowhere else, ever. */
export async function createClientKey(deps: ClientKeyDeps, request: NewKeyRequest): Promise<{ key: string; stored: StoredKey }> {
  checkRequest(request);
  const key = generateClientKey();
  const stored: StoredKey = {
    id: deps.ids.next('key'),
    name: request.name,
    role: request.role ?? 'app',
    hash: clientKeyDigest(deps.clientKeySecret(), key),
    limits: defined(request.limits),
    budgets: defined(request.budgets),
    revoked: false,
    createdAt: deps.clock.now().toISOString(),
  };
  await deps.keys.create(stored);
  return { key, stored };
}

export async function listClientKeys(keys: KeyStore): Promise<KeyListing[]> {
  return (await keys.list()).map(listingOf);
}

/** Revokes the key with this id, or every key of the tenant with this name; what it revoked. */
export async function revokeClientKeys(deps: Pick<ClientKeyDeps, 'keys' | 'clock'>, idOrName: string): Promise<KeyListing[]> {
  return (await deps.keys.revoke(idOrName, deps.clock.now())).map(listingOf);
}
