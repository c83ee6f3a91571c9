// One SQLite file per data dir, opened the same way for every local adapter: WAL so readers never block
// the writer, a busy timeout so two processes on the same file wait instead of failing.
import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Database = BetterSqlite3.Database;

/** Opens (creating if absent) the database at `file`; each adapter creates its own tables. */
export function openDatabase(file: string): Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}

/** True for SQLite's "constraint failed" family (primary key, unique). */
export function isConstraintError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && String((e as { code?: unknown }).code ?? '').startsWith('SQLITE_CONSTRAINT');
}
