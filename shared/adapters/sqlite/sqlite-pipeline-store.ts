// PipelineStore on SQLite (local mode): one row per pipeline, the pipeline as JSON beside the version and the
// due time the timer's sweep reads. Conditional writes are single statements guarded by the version column.
import type BetterSqlite3 from 'better-sqlite3';
import { z } from 'zod';
import { isFinished, type Pipeline } from '../../domain/pipeline.ts';
import { PipelineConflictError, PipelineStoreError, type PipelineStore } from '../../ports/pipeline-store.ts';
import { parseStoredPipeline } from '../stored-pipeline.ts';
import type { Database } from './database.ts';

const rowSchema = z.object({ id: z.string(), version: z.number().int().positive(), data: z.string() });

const SCHEMA = `CREATE TABLE IF NOT EXISTS pipelines (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  tenant TEXT NOT NULL,
  due_at INTEGER,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pipelines_by_due ON pipelines (due_at) WHERE due_at IS NOT NULL`;

function toPipeline(raw: unknown): Pipeline {
  const row = rowSchema.safeParse(raw);
  if (!row.success) throw new PipelineStoreError(`pipeline row does not match its schema: ${row.error.issues[0]?.message ?? ''}`);
  return parseStoredPipeline(row.data.id, row.data.data, row.data.version);
}

/** The due time the sweep reads: none once the pipeline is finished. */
const dueOf = (p: Pipeline): number | null => (p.dueAt && !isFinished(p.status) ? Date.parse(p.dueAt) : null);

export class SqlitePipelineStore implements PipelineStore {
  private readonly select: BetterSqlite3.Statement;
  private readonly insert: BetterSqlite3.Statement;
  private readonly update: BetterSqlite3.Statement;
  private readonly due: BetterSqlite3.Statement;

  /** `db` is an open better-sqlite3 handle (shared/adapters/sqlite/database.ts); the table is created if absent. */
  constructor(db: Database) {
    db.exec(SCHEMA);
    this.select = db.prepare('SELECT id, version, data FROM pipelines WHERE id = ?');
    this.insert = db.prepare('INSERT INTO pipelines (id, version, tenant, due_at, data) VALUES (@id, 1, @tenant, @due, @data) ON CONFLICT(id) DO NOTHING');
    this.update = db.prepare('UPDATE pipelines SET version = version + 1, due_at = @due, data = @data WHERE id = @id AND version = @expected');
    this.due = db.prepare('SELECT id, version, data FROM pipelines WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?');
  }

  async get(id: string): Promise<Pipeline | undefined> {
    const row = this.select.get(id);
    return row === undefined ? undefined : toPipeline(row);
  }

  async put(pipeline: Pipeline, expectedVersion: number): Promise<Pipeline> {
    const next = { ...pipeline, version: expectedVersion + 1 };
    const { version: _v, ...data } = next;
    const params = { id: next.id, tenant: next.tenant, due: dueOf(next), data: JSON.stringify(data), expected: expectedVersion };
    const { changes } = expectedVersion === 0 ? this.insert.run(params) : this.update.run(params);
    if (changes !== 1) throw new PipelineConflictError(next.id, expectedVersion);
    return next;
  }

  async listDue(now: Date, limit: number): Promise<Pipeline[]> {
    return this.due.all(now.getTime(), Math.max(0, Math.floor(limit))).map(toPipeline);
  }
}
