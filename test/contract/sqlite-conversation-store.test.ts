// Runs the ConversationStore contract against the SQLite adapter, on a database file opened the way the local
// deps open it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../shared/adapters/sqlite/database.ts';
import { SqliteConversationStore } from '../../shared/adapters/sqlite/sqlite-conversation-store.ts';
import type { ConversationStore } from '../../shared/ports/conversation-store.ts';
import { runConversationStoreContract } from './conversation-store-contract.ts';

const opened = new Map<ConversationStore, { db: Database; dir: string }>();

runConversationStoreContract({
  name: 'sqlite',
  create: () => {
    const dir = mkdtempSync(join(tmpdir(), 'conv-store-'));
    const db = openDatabase(join(dir, 'local.db'));
    const store = new SqliteConversationStore(db);
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
