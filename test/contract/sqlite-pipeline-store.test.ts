// Runs the PipelineStore contract against the SQLite adapter, on a database file opened the way the local deps open it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../shared/adapters/sqlite/database.ts';
import { SqlitePipelineStore } from '../../shared/adapters/sqlite/sqlite-pipeline-store.ts';
import type { PipelineStore } from '../../shared/ports/pipeline-store.ts';
import { runPipelineStoreContract } from './pipeline-store-contract.ts';

const opened = new Map<PipelineStore, { db: Database; dir: string }>();

runPipelineStoreContract({
  name: 'sqlite',
  create: () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-store-'));
    const db = openDatabase(join(dir, 'local.db'));
    const store = new SqlitePipelineStore(db);
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
});
