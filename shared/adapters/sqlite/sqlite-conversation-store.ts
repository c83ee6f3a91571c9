// ConversationStore on SQLite (local mode): one row per conversation, turns as JSON. Conditional writes are
// single statements guarded by the version column, so the row that changed under a writer is never overwritten.
import { storedTurnsSchema } from '../stored-rows.ts';
import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from './database.ts';
import { z } from 'zod';
import {
  ConversationConflictError,
  ConversationStoreError,
  type Conversation,
  type ConversationContent,
  type ConversationStore,
} from '../../ports/conversation-store.ts';

const rowSchema = z.object({
  id: z.string(),
  version: z.number().int().positive(),
  summary: z.string().nullable(),
  turns: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

const SCHEMA = `CREATE TABLE IF NOT EXISTS conversations (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  summary TEXT,
  turns TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
)`;

function toConversation(raw: unknown): Conversation {
  const row = rowSchema.safeParse(raw);
  if (!row.success) throw new ConversationStoreError(`conversation row does not match its schema: ${row.error.issues[0]?.message ?? ''}`);
  let turns: unknown;
  try {
    turns = JSON.parse(row.data.turns);
  } catch {
    throw new ConversationStoreError(`conversation ${row.data.id}: stored turns are not JSON`);
  }
  const parsed = storedTurnsSchema.safeParse(turns);
  if (!parsed.success) throw new ConversationStoreError(`conversation ${row.data.id}: stored turns do not match their schema`);
  return {
    id: row.data.id,
    version: row.data.version,
    ...(row.data.summary !== null ? { summary: row.data.summary } : {}),
    turns: parsed.data,
    createdAt: row.data.created_at,
    updatedAt: row.data.updated_at,
  };
}

export class SqliteConversationStore implements ConversationStore {
  private readonly select: BetterSqlite3.Statement;
  private readonly insert: BetterSqlite3.Statement;
  private readonly update: BetterSqlite3.Statement;

  /** `db` is an open better-sqlite3 handle (shared/adapters/sqlite/database.ts); the table is created if absent. */
  constructor(db: Database) {
    db.exec(SCHEMA);
    this.select = db.prepare('SELECT id, version, summary, turns, created_at, updated_at FROM conversations WHERE id = ?');
    this.insert = db.prepare(
      'INSERT INTO conversations (id, version, summary, turns, created_at, updated_at) VALUES (@id, 1, @summary, @turns, @now, @now) ON CONFLICT(id) DO NOTHING',
    );
    this.update = db.prepare(
      'UPDATE conversations SET version = version + 1, summary = @summary, turns = @turns, updated_at = @now WHERE id = @id AND version = @expected',
    );
  }

  async get(id: string): Promise<Conversation | undefined> {
    const row = this.select.get(id);
    return row === undefined ? undefined : toConversation(row);
  }

  async put(id: string, expectedVersion: number, content: ConversationContent, now: Date): Promise<Conversation> {
    const params = { id, summary: content.summary ?? null, turns: JSON.stringify(content.turns), now: now.toISOString(), expected: expectedVersion };
    const { changes } = expectedVersion === 0 ? this.insert.run(params) : this.update.run(params);
    if (changes !== 1) throw new ConversationConflictError(id, expectedVersion);
    return toConversation(this.select.get(id));
  }
}
