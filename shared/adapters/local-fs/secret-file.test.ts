import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readOrCreateSecretFile, SecretFileError } from './secret-file.ts';

const dirs: string[] = [];
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'secret-file-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('readOrCreateSecretFile', () => {
  it('makes a random secret of 32+ characters once, readable by its owner only, and reads the same one back', () => {
    const file = join(dir(), 'data', 'client-key-secret');
    const first = readOrCreateSecretFile(file);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readOrCreateSecretFile(file)).toBe(first);
    expect(readOrCreateSecretFile(join(dir(), 'client-key-secret'))).not.toBe(first);
  });

  it('leaves no draft behind and keeps a secret that is already there', () => {
    const d = dir();
    const file = join(d, 'client-key-secret');
    writeFileSync(file, `${'s'.repeat(40)}\n`);
    expect(readOrCreateSecretFile(file)).toBe('s'.repeat(40));
    readOrCreateSecretFile(join(d, 'other'));
    expect(readFileSync(file, 'utf8')).toBe(`${'s'.repeat(40)}\n`);
    expect(readdirSync(d).sort()).toEqual(['client-key-secret', 'other']);
  });

  it('refuses a file too short to be a secret, saying what to do', () => {
    const file = join(dir(), 'client-key-secret');
    writeFileSync(file, 'short\n');
    expect(() => readOrCreateSecretFile(file)).toThrow(SecretFileError);
    expect(() => readOrCreateSecretFile(file)).toThrow(/remove it/);
  });
});
