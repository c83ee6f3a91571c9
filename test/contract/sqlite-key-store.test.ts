// Runs the KeyStore contract against the SQLite adapter, on a database file opened the way the local deps open it,
// and checks that two handles on one file (two local processes) see each other's keys and revocations.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../shared/adapters/sqlite/database.ts';
import { SqliteKeyStore } from '../../shared/adapters/sqlite/sqlite-key-store.ts';
import type { KeyStore } from '../../shared/ports/key-store.ts';
import { makeStoredKey, runKeyStoreContract } from './key-store-contract.ts';
import { sqliteStoreFiles } from './sqlite-store-files.ts';

runKeyStoreContract({ name: 'sqlite', ...sqliteStoreFiles<KeyStore>('key-store-', (db) => new SqliteKeyStore(db)) });

describe('SqliteKeyStore', () => {
  it('shares keys and revocations between two handles on one file, as `npm run keys` and `npm start` do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'key-store-'));
    const [a, b] = [openDatabase(join(dir, 'local.db')), openDatabase(join(dir, 'local.db'))];
    try {
      const cli = new SqliteKeyStore(a);
      const server = new SqliteKeyStore(b);
      const key = makeStoredKey();
      await cli.create(key);
      expect(await server.findByHash(key.hash)).toEqual(key);
      await cli.revoke(key.id, new Date('2026-03-02T00:00:00.000Z'));
      expect((await server.findByHash(key.hash))?.revoked).toBe(true);
    } finally {
      a.close();
      b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
