// A SQLite-backed store per contract case, on its own database file opened the way the local deps open it, and
// its disposal (the handle closed, the folder removed): what every SQLite adapter's contract run needs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../shared/adapters/sqlite/database.ts';

export function sqliteStoreFiles<S extends object>(prefix: string, make: (db: Database) => S): { create: () => S; dispose: (store: S) => void } {
  const opened = new Map<S, { db: Database; dir: string }>();
  return {
    create: () => {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      const db = openDatabase(join(dir, 'local.db'));
      const store = make(db);
      opened.set(store, { db, dir });
      return store;
    },
    dispose: (store) => {
      const h = opened.get(store);
      if (!h) return;
      opened.delete(store);
      h.db.close();
      rmSync(h.dir, { recursive: true, force: true });
    },
  };
}
