// A server secret kept in a file of its own (local mode's CLIENT_KEY_SECRET): made once from crypto randomness with
// mode 0600, then read back by every later process, so keys made by one `npm run keys` still match after a restart.
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class SecretFileError extends Error {
  override name = 'SecretFileError';
}

/** The secret in `file`, made first if the file does not exist; at least `minLength` characters. */
export function readOrCreateSecretFile(file: string, minLength = 32): string {
  const existing = readSecret(file, minLength);
  if (existing !== undefined) return existing;
  mkdirSync(dirname(file), { recursive: true });
  // written whole under another name, then linked into place: a second process starting at the same moment
  // either links first (and this one reads its secret) or reads this one's, never a half-written file
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(draft);
  }
  const made = readSecret(file, minLength);
  if (made === undefined) throw new SecretFileError(`${file} vanished while it was being made`);
  return made;
}

function readSecret(file: string, minLength: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const secret = text.trim();
  if (secret.length < minLength) throw new SecretFileError(`${file} holds fewer than ${minLength} characters: remove it to have a new secret made (keys made under the old one stop working)`);
  return secret;
}
