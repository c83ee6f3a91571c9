// KeyStore on SQLite (local mode): one row per client key, keyed by its id, its digest unique. Revocation is one
// UPDATE … RETURNING, so two processes revoking the same key never both report it.
import type BetterSqlite3 from 'better-sqlite3';
import { KeyExistsError, type KeyStore, type StoredKey } from '../../ports/key-store.ts';
import { keyRowColumns, storedKeyFromRow as toKey } from '../stored-key-row.ts';
import { isConstraintError, type Database } from './database.ts';

const SCHEMA = `CREATE TABLE IF NOT EXISTS client_keys (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  limits TEXT NOT NULL,
  budgets TEXT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS client_keys_by_name ON client_keys (name)`;

const COLUMNS = 'id, hash, name, role, limits, budgets, revoked, created_at, revoked_at';

export class SqliteKeyStore implements KeyStore {
  private readonly insert: BetterSqlite3.Statement;
  private readonly byHash: BetterSqlite3.Statement;
  private readonly all: BetterSqlite3.Statement;
  private readonly revokeStmt: BetterSqlite3.Statement;

  /** `db` is an open better-sqlite3 handle (shared/adapters/sqlite/database.ts); the table is created if absent. */
  constructor(db: Database) {
    db.exec(SCHEMA);
    this.insert = db.prepare(
      `INSERT INTO client_keys (${COLUMNS}) VALUES (@id, @hash, @name, @role, @limits, @budgets, @revoked, @created_at, @revoked_at)`,
    );
    this.byHash = db.prepare(`SELECT ${COLUMNS} FROM client_keys WHERE hash = ?`);
    this.all = db.prepare(`SELECT ${COLUMNS} FROM client_keys ORDER BY created_at, id`);
    this.revokeStmt = db.prepare(
      `UPDATE client_keys SET revoked = 1, revoked_at = @now WHERE (id = @target OR name = @target) AND revoked = 0 RETURNING ${COLUMNS}`,
    );
  }

  async create(key: StoredKey): Promise<void> {
    try {
      this.insert.run({ ...keyRowColumns(key), revoked: key.revoked ? 1 : 0, revoked_at: key.revokedAt ?? null });
    } catch (e) {
      if (isConstraintError(e)) throw new KeyExistsError(`client key ${key.id}: its id or digest is already stored`);
      throw e;
    }
  }

  async findByHash(hash: string): Promise<StoredKey | undefined> {
    const row = this.byHash.get(hash);
    return row === undefined ? undefined : toKey(row);
  }

  async list(): Promise<StoredKey[]> {
    return this.all.all().map(toKey);
  }

  async revoke(idOrName: string, now: Date): Promise<StoredKey[]> {
    return this.revokeStmt
      .all({ target: idOrName, now: now.toISOString() })
      .map(toKey)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }
}
