// Runs the TaskStore contract against SQLite (a second connection on the same file as the peer), plus
// what only the SQLite store promises: index-served queries and loud failure on corrupt rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../shared/adapters/sqlite/database.ts';
import { SqliteTaskStore } from '../../shared/adapters/sqlite/sqlite-task-store.ts';
import { TaskStoreError } from '../../shared/ports/task-store.ts';
import { makeTask, runTaskStoreContract } from './task-store-contract.ts';

runTaskStoreContract('SqliteTaskStore', {
  create: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'task-store-'));
    const file = join(dir, 'local.db');
    const db = openDatabase(file);
    const peerDb = openDatabase(file);
    return {
      store: new SqliteTaskStore(db),
      peer: new SqliteTaskStore(peerDb),
      close: async () => {
        db.close();
        peerDb.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});

describe('SqliteTaskStore', () => {
  const withStore = (fn: (db: Database, store: SqliteTaskStore) => Promise<void>) => async () => {
    const db = openDatabase(':memory:');
    try {
      await fn(db, new SqliteTaskStore(db));
    } finally {
      db.close();
    }
  };

  it('serves listDue from the due_at index rather than a scan of every task', withStore(async (db) => {
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT data FROM tasks WHERE due_at IS NOT NULL AND due_at <= 1 AND (lease_until IS NULL OR lease_until <= 1) ORDER BY due_at, id LIMIT 10`)
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' | ')).toMatch(/USING (COVERING )?INDEX tasks_due/);
  }));

  it("serves a tenant's listing from a tenant-led index, with a status or without", withStore(async (db) => {
    for (const [where, index] of [['tenant = 1 AND status = 1', 'tasks_tenant_status'], ['tenant = 1', 'tasks_tenant_created']] as const) {
      const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT data FROM tasks WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT 10`).all() as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' | ')).toMatch(new RegExp(`USING (COVERING )?INDEX ${index}`));
    }
  }));

  it('adds the tenant column to a database from before tasks had owners; its old rows are listed for admins only', async () => {
    const db = openDatabase(':memory:');
    db.exec(`CREATE TABLE tasks (id TEXT PRIMARY KEY, version INTEGER NOT NULL, status TEXT NOT NULL, due_at INTEGER, lease_until INTEGER, created_at INTEGER NOT NULL, data TEXT NOT NULL)`);
    const old = makeTask();
    db.prepare('INSERT INTO tasks (id, version, status, due_at, lease_until, created_at, data) VALUES (?, ?, ?, NULL, NULL, ?, ?)').run(old.id, 1, old.status, Date.parse(old.createdAt), JSON.stringify(old));
    const store = new SqliteTaskStore(db);
    new SqliteTaskStore(db); // a second process opening the same file finds the column there
    const owned = makeTask({ tenant: 'acme' });
    await store.create(owned);
    expect((await store.listByStatus(undefined, 10)).tasks.map((t) => t.id)).toEqual([old.id, owned.id]);
    expect((await store.listByStatus(undefined, 10, undefined, 'asc', 'acme')).tasks.map((t) => t.id)).toEqual([owned.id]);
    expect(await store.get(old.id)).toEqual(old);
    db.close();
  });

  it('fails loudly on a stored row that no longer matches the task schema', withStore(async (db, store) => {
    const task = makeTask();
    await store.create(task);
    db.prepare('UPDATE tasks SET data = ? WHERE id = ?').run(JSON.stringify({ ...task, status: 'BOGUS' }), task.id);
    await expect(store.get(task.id)).rejects.toBeInstanceOf(TaskStoreError);
  }));

  it('keeps fields it does not know about instead of dropping them on read', withStore(async (_db, store) => {
    const task = { ...makeTask(), addedLater: { n: 1 } };
    await store.create(task);
    expect(await store.get(task.id)).toEqual(task);
  }));

  it('rejects a cursor it did not issue', withStore(async (_db, store) => {
    await expect(store.listByStatus(undefined, 10, 'not-a-cursor')).rejects.toBeInstanceOf(TaskStoreError);
  }));
});
