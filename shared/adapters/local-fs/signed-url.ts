// Signed object URLs for local mode, in OSS's query shape (`Expires` in unix seconds, `Signature`): an
// HMAC over key and expiry with a secret kept per data dir, so links stay valid across restarts.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type UrlCheck = 'ok' | 'expired' | 'invalid';

/** Reads the secret at `file`, creating it (random, owner-only) the first time. */
export function loadOrCreateSecret(file: string): Buffer {
  mkdirSync(dirname(file), { recursive: true });
  try {
    writeFileSync(file, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  if (secret.length < 16) throw new Error(`URL signing secret in ${file} is too short; delete the file to regenerate it`);
  return secret;
}

export function signObject(secret: Buffer, key: string, expires: number): string {
  return createHmac('sha256', secret).update(`GET\n${key}\n${expires}`).digest('base64url');
}

/** Checks a presented URL's expiry and signature at `nowMs`. */
export function checkSignature(secret: Buffer, key: string, expires: string | null, signature: string | null, nowMs: number): UrlCheck {
  if (!expires || !signature || !/^\d{1,12}$/.test(expires)) return 'invalid';
  const expected = Buffer.from(signObject(secret, key, Number(expires)));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
  return Number(expires) * 1000 < nowMs ? 'expired' : 'ok';
}
