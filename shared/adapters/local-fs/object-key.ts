// Object keys the local store accepts: the portable subset of OSS keys that is also a safe relative path
// (no traversal, no absolute paths), so a key can never name a file outside the store's folder.
import { ObjectStoreError } from '../../ports/object-store.ts';

const SEGMENTS = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export class InvalidObjectKeyError extends ObjectStoreError {
  override name = 'InvalidObjectKeyError';
  constructor(readonly key: string, reason: string) {
    super(`invalid object key '${key.slice(0, 200)}': ${reason}`);
  }
}

/** Throws InvalidObjectKeyError unless `key` is 1–1023 chars of [A-Za-z0-9/._-], relative, without `..`. */
export function assertObjectKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1023) throw new InvalidObjectKeyError(String(key), 'must be 1 to 1023 characters');
  if (key.startsWith('/')) throw new InvalidObjectKeyError(key, 'must not start with /');
  if (key.includes('..')) throw new InvalidObjectKeyError(key, 'must not contain ..');
  if (!SEGMENTS.test(key)) throw new InvalidObjectKeyError(key, 'only A-Z a-z 0-9 / . _ - are allowed, with no empty path segment');
  if (key.split('/').some((s) => s === '.')) throw new InvalidObjectKeyError(key, 'must not contain a . segment');
}
