// ConversationStore on Table Store (cloud mode): one row per conversation (pk id), turns as JSON, and a
// conditional write on the INTEGER version: EXPECT_NOT_EXIST for the first, version = expected after that.
import { storedTurnsSchema } from '../stored-rows.ts';
import { z } from 'zod';
import { parseJson } from '../../json/parse-json.ts';
import {
  ConversationConflictError,
  ConversationStoreError,
  type Conversation,
  type ConversationContent,
  type ConversationStore,
} from '../../ports/conversation-store.ts';
import { OtsError, type Columns, type PrimaryKey, type TablestoreClient, type TableSpec } from './tablestore-client.ts';

const rowSchema = z.object({
  version: z.bigint().positive(),
  summary: z.string().optional(),
  turns: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** Times a write whose answer was lost is re-read and, if it did not land, sent again. */
const AMBIGUOUS_RETRIES = 3;

export class TablestoreConversationStore implements ConversationStore {
  constructor(
    private readonly client: TablestoreClient,
    private readonly table: string,
  ) {}

  async get(id: string): Promise<Conversation | undefined> {
    const columns = await this.read(id);
    return columns && toConversation(id, columns);
  }

  async put(id: string, expectedVersion: number, content: ConversationContent, now: Date): Promise<Conversation> {
    // the row's creation time is needed for the answer, and a stale version is refused without a write
    const before = expectedVersion === 0 ? undefined : await this.get(id);
    if (expectedVersion !== 0 && before?.version !== expectedVersion) throw new ConversationConflictError(id, expectedVersion);
    const at = now.toISOString();
    const next: Conversation = {
      id,
      version: expectedVersion + 1,
      ...(content.summary !== undefined ? { summary: content.summary } : {}),
      turns: content.turns,
      createdAt: before?.createdAt ?? at,
      updatedAt: at,
    };
    const columns: Columns = {
      version: BigInt(next.version),
      turns: JSON.stringify(next.turns),
      created_at: next.createdAt,
      updated_at: next.updatedAt,
      ...(next.summary !== undefined ? { summary: next.summary } : {}),
    };
    const key: PrimaryKey = [['id', id]];
    const send = () =>
      expectedVersion === 0
        ? this.client.putRow(this.table, key, columns, { row: 'EXPECT_NOT_EXIST' })
        : this.client.updateRow(this.table, key, { put: columns, deleteAll: next.summary === undefined ? ['summary'] : [] }, {
            row: 'EXPECT_EXIST',
            column: { name: 'version', equals: BigInt(expectedVersion), passIfMissing: false },
          });
    let uncertain = false;
    for (let i = 0; ; i++) {
      try {
        await send();
        return next;
      } catch (e) {
        if (!(e instanceof OtsError)) throw wrap(e, id);
        if (!e.conditionFailed && (!e.ambiguous || i >= AMBIGUOUS_RETRIES)) throw wrap(e, id);
        if (e.conditionFailed && !uncertain) throw new ConversationConflictError(id, expectedVersion);
        // the answer of an earlier attempt went missing: the row says whether that attempt landed
        uncertain = true;
        const row = await this.read(id);
        if (row && row['version'] === columns['version'] && row['turns'] === columns['turns'] && row['updated_at'] === columns['updated_at']) return next;
        const stillBefore = expectedVersion === 0 ? !row : row?.['version'] === BigInt(expectedVersion);
        if (e.conditionFailed || !stillBefore) throw new ConversationConflictError(id, expectedVersion);
      }
    }
  }

  private async read(id: string): Promise<Columns | undefined> {
    try {
      return (await this.client.getRow(this.table, [['id', id]]))?.columns;
    } catch (e) {
      throw wrap(e, id);
    }
  }
}

function wrap(e: unknown, id: string): ConversationStoreError {
  const err = new ConversationStoreError(`conversation ${id}: ${e instanceof OtsError ? `${e.code} ${e.message}` : String(e)}`);
  (err as { cause?: unknown }).cause = e;
  return err;
}

function toConversation(id: string, columns: Columns): Conversation {
  const row = rowSchema.safeParse(columns);
  if (!row.success) throw new ConversationStoreError(`conversation ${id}: row does not match its schema: ${row.error.issues[0]?.message ?? ''}`);
  let turns: unknown;
  try {
    turns = parseJson(row.data.turns);
  } catch {
    throw new ConversationStoreError(`conversation ${id}: stored turns are not JSON`);
  }
  const parsed = storedTurnsSchema.safeParse(turns);
  if (!parsed.success) throw new ConversationStoreError(`conversation ${id}: stored turns do not match their schema`);
  return {
    id,
    version: Number(row.data.version),
    ...(row.data.summary !== undefined ? { summary: row.data.summary } : {}),
    turns: parsed.data,
    createdAt: row.data.created_at,
    updatedAt: row.data.updated_at,
  };
}

/** The conversations table's name under a deployment's table prefix. */
export const conversationTableName = (prefix = ''): string => `${prefix}conversations`;

/** The conversations table: one row per conversation, keyed by its id. */
export function conversationTableSpec(table: string): TableSpec {
  return { name: table, primaryKey: [{ name: 'id', type: 'STRING' }], timeToLive: -1, maxVersions: 1 };
}

/** Creates the conversations table (set-up scripts and tests; the store never creates it). */
export async function createConversationTable(client: TablestoreClient, table: string): Promise<void> {
  await client.createTable(conversationTableSpec(table));
}
