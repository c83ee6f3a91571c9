// Runs the ConversationStore contract against the SQLite adapter, on a database file opened the way the local
// deps open it.
import { SqliteConversationStore } from '../../shared/adapters/sqlite/sqlite-conversation-store.ts';
import type { ConversationStore } from '../../shared/ports/conversation-store.ts';
import { runConversationStoreContract } from './conversation-store-contract.ts';
import { sqliteStoreFiles } from './sqlite-store-files.ts';

runConversationStoreContract({ name: 'sqlite', ...sqliteStoreFiles<ConversationStore>('conv-store-', (db) => new SqliteConversationStore(db)) });
