// TaskStore on SQLite (local mode): one row per task, the task as JSON plus the indexed columns the queries
// need (due_at, lease_until, status, tenant, created_at, as epoch ms). Writes are conditional on the version column.
import { decodePageCursor, encodePageCursor, storedTaskSchema } from '../stored-rows.ts';
import type { Task, TaskStatus } from '../../domain/task.ts';
import {
  TaskAlreadyExistsError,
  TaskConflictError,
  TaskNotFoundError,
  TaskStoreError,
  type IdempotencyRecord,
  type ListOrder,
  type TaskPage,
  type TaskPatch,
  type TaskStore,
} from '../../ports/task-store.ts';
import { isConstraintError, type Database } from './database.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tasks (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  due_at INTEGER,
  lease_until INTEGER,
  created_at INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_due ON tasks (due_at, id) WHERE due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS tasks_status ON tasks (status, created_at, id);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks (created_at, id);
CREATE INDEX IF NOT EXISTS tasks_lease ON tasks (lease_until) WHERE lease_until IS NOT NULL;
CREATE TABLE IF NOT EXISTS idempotency (
  key TEXT PRIMARY KEY,
  task_id TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
`;

// after the tenant column exists (a database from before it gets it added first); rows from then keep NULL
const TENANT_INDEXES = `
CREATE INDEX IF NOT EXISTS tasks_tenant_status ON tasks (tenant, status, created_at, id);
CREATE INDEX IF NOT EXISTS tasks_tenant_created ON tasks (tenant, created_at, id);
`;

interface Row {
  data: string;
}

/** ISO time → epoch ms for an indexed column; an unparsable time is a caller bug, not a row to store. */
function ms(iso: string | undefined, field: string): number | null {
  if (iso === undefined) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new TaskStoreError(`${field} is not an ISO time: ${iso.slice(0, 40)}`);
  return t;
}

function parseRow(row: Row): Task {
  const r = storedTaskSchema.safeParse(JSON.parse(row.data));
  if (!r.success) throw new TaskStoreError(`stored task row is malformed: ${r.error.issues[0]?.message ?? 'unknown'}`);
  return r.data;
}

/** Applies a patch: present keys overwrite, keys present with `undefined` clear the field. */
function applyPatch(task: Task, patch: TaskPatch): Task {
  const next: Record<string, unknown> = { ...task };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete next[k];
    else next[k] = v;
  }
  return next as unknown as Task;
}

export class SqliteTaskStore implements TaskStore {
  constructor(private readonly db: Database) {
    db.exec(SCHEMA);
    db.transaction(() => {
      const columns = db.prepare('PRAGMA table_info(tasks)').all() as { name: string }[];
      if (!columns.some((c) => c.name === 'tenant')) db.exec('ALTER TABLE tasks ADD COLUMN tenant TEXT');
      db.exec(TENANT_INDEXES);
    }).immediate();
  }

  async create(task: Task): Promise<void> {
    try {
      this.db
        .prepare('INSERT INTO tasks (id, version, status, tenant, due_at, lease_until, created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(task.id, task.version, task.status, task.tenant ?? null, ms(task.dueAt, 'dueAt'), ms(task.leaseUntil, 'leaseUntil'), ms(task.createdAt, 'createdAt'), JSON.stringify(task));
    } catch (e) {
      if (isConstraintError(e)) throw new TaskAlreadyExistsError(task.id);
      throw e;
    }
  }

  async get(id: string): Promise<Task | undefined> {
    const row = this.db.prepare('SELECT data FROM tasks WHERE id = ?').get(id) as Row | undefined;
    return row ? parseRow(row) : undefined;
  }

  async update(id: string, expectedVersion: number, patch: TaskPatch, now: Date): Promise<Task> {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT data FROM tasks WHERE id = ?').get(id) as Row | undefined;
      if (!row) throw new TaskNotFoundError(id);
      const current = parseRow(row);
      if (current.version !== expectedVersion) throw new TaskConflictError(id, expectedVersion);
      const next: Task = { ...applyPatch(current, patch), id, createdAt: current.createdAt, version: expectedVersion + 1, updatedAt: now.toISOString() };
      this.write(next, expectedVersion);
      return next;
    }).immediate();
  }

  async listDue(now: Date, limit: number): Promise<Task[]> {
    const t = now.getTime();
    const rows = this.db
      .prepare(
        `SELECT data FROM tasks WHERE due_at IS NOT NULL AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
         ORDER BY due_at, id LIMIT ?`,
      )
      .all(t, t, Math.max(0, Math.floor(limit))) as Row[];
    return rows.map(parseRow);
  }

  async tryLease(id: string, owner: string, until: Date, now: Date): Promise<Task | undefined> {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT data FROM tasks WHERE id = ?').get(id) as Row | undefined;
      if (!row) return undefined;
      const current = parseRow(row);
      const held = current.leaseUntil !== undefined && Date.parse(current.leaseUntil) > now.getTime() && current.leaseOwner !== owner;
      if (held) return undefined;
      const next: Task = { ...current, leaseOwner: owner, leaseUntil: until.toISOString(), version: current.version + 1, updatedAt: now.toISOString() };
      this.write(next, current.version);
      return next;
    }).immediate();
  }

  async listByStatus(status: TaskStatus | undefined, limit: number, cursor?: string, order: ListOrder = 'asc', tenant?: string): Promise<TaskPage> {
    const after = cursor === undefined ? undefined : decodePageCursor(cursor, order);
    const n = Math.max(1, Math.floor(limit));
    // Each clause present only when used, so SQLite walks tasks_status, tasks_created or their tenant-led
    // twins (forwards or backwards) from the cursor instead of scanning: an `@x IS NULL OR …` condition
    // defeats the index.
    const desc = order === 'desc';
    const where = [
      tenant !== undefined ? 'tenant = @tenant' : '',
      status !== undefined ? 'status = @status' : '',
      after ? `(created_at, id) ${desc ? '<' : '>'} (@c, @i)` : '',
    ].filter(Boolean);
    const rows = this.db
      .prepare(
        `SELECT data, created_at, id FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created_at ${desc ? 'DESC' : 'ASC'}, id ${desc ? 'DESC' : 'ASC'} LIMIT @n`,
      )
      .all({ ...(tenant !== undefined ? { tenant } : {}), ...(status !== undefined ? { status } : {}), ...(after ? { c: after.c, i: after.i } : {}), n: n + 1 }) as (Row & { created_at: number; id: string })[];
    const page = rows.slice(0, n);
    const last = page[page.length - 1];
    return { tasks: page.map(parseRow), ...(rows.length > n && last ? { next: encodePageCursor(last.created_at, last.id, order) } : {}) };
  }

  async putIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    return this.db.transaction(() => {
      const inserted = this.db
        .prepare('INSERT INTO idempotency (key, task_id, request_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING')
        .run(record.key, record.taskId, record.requestHash, record.createdAt);
      if (inserted.changes === 1) return undefined;
      const row = this.db.prepare('SELECT key, task_id, request_hash, created_at FROM idempotency WHERE key = ?').get(record.key) as
        | { key: string; task_id: string; request_hash: string; created_at: string }
        | undefined;
      if (!row) throw new TaskStoreError(`idempotency key ${record.key} vanished`);
      return { key: row.key, taskId: row.task_id, requestHash: row.request_hash, createdAt: row.created_at };
    }).immediate();
  }

  /**
   * The conditional write itself; TaskConflictError when the row is no longer at `expectedVersion`, so two
   * writers never both win, even across processes.
   */
  private write(next: Task, expectedVersion: number): void {
    const r = this.db
      .prepare('UPDATE tasks SET version = ?, status = ?, due_at = ?, lease_until = ?, data = ? WHERE id = ? AND version = ?')
      .run(next.version, next.status, ms(next.dueAt, 'dueAt'), ms(next.leaseUntil, 'leaseUntil'), JSON.stringify(next), next.id, expectedVersion);
    if (r.changes !== 1) throw new TaskConflictError(next.id, expectedVersion);
  }
}
