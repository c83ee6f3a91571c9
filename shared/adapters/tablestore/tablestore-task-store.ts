// TaskStore on Table Store: create-once and version-conditional writes; an ambiguous write (no answer, a 5xx)
// is settled by reading the row back, and queries read asynchronous global indexes, then the rows themselves.
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
import { INF_MAX, INF_MIN, OtsError, type PrimaryKey, type Row, type TablestoreClient, type WriteCondition } from './tablestore-client.ts';
import { decodeCursor, encodeCursor, parseTaskRow, taskColumns } from './task-row.ts';
import type { TaskTableNames } from './task-tables.ts';
import { mapLimited } from './map-limited.ts';

/** What a re-read says about a write whose answer was lost. */
type Settled = 'applied' | 'not-applied' | 'lost';

/** Times a write whose outcome was ambiguous is re-read and, if it did not land, sent again. */
const AMBIGUOUS_RETRIES = 3;
/** Most rows fetched per index page; listings read a little past the page to know whether there is a next one. */
const INDEX_PAGE = 100;
/** Main-table reads in flight at once when index entries are turned into tasks. */
const READ_CONCURRENCY = 16;

function storeError(e: unknown, what: string): TaskStoreError {
  if (e instanceof TaskStoreError) return e;
  const err = new TaskStoreError(`${what}: ${e instanceof OtsError ? `${e.code} ${e.message}` : String(e)}`);
  (err as { cause?: unknown }).cause = e;
  return err;
}

function applyPatch(task: Task, patch: TaskPatch): Task {
  const next: Record<string, unknown> = { ...task };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete next[k];
    else next[k] = v;
  }
  return next as unknown as Task;
}


export class TablestoreTaskStore implements TaskStore {
  constructor(
    private readonly client: TablestoreClient,
    private readonly tables: TaskTableNames,
  ) {}

  async create(task: Task): Promise<void> {
    const columns = taskColumns(task);
    const outcome = await this.write(
      () => this.client.putRow(this.tables.tasks, this.key(task.id), columns, { row: 'EXPECT_NOT_EXIST' }),
      async () => {
        const row = await this.client.getRow(this.tables.tasks, this.key(task.id));
        return !row ? 'not-applied' : row.columns['data'] === columns['data'] ? 'applied' : 'lost';
      },
      `create task ${task.id}`,
    );
    if (outcome === 'lost') throw new TaskAlreadyExistsError(task.id);
  }

  async get(id: string): Promise<Task | undefined> {
    const row = await this.read(id);
    return row && parseTaskRow(row.columns);
  }

  async update(id: string, expectedVersion: number, patch: TaskPatch, now: Date): Promise<Task> {
    const row = await this.read(id);
    if (!row) throw new TaskNotFoundError(id);
    const current = parseTaskRow(row.columns);
    if (current.version !== expectedVersion) throw new TaskConflictError(id, expectedVersion);
    const next: Task = { ...applyPatch(current, patch), id, createdAt: current.createdAt, version: expectedVersion + 1, updatedAt: now.toISOString() };
    const outcome = await this.replace(next, expectedVersion);
    if (outcome === 'gone') throw new TaskNotFoundError(id);
    if (outcome === 'lost') throw new TaskConflictError(id, expectedVersion);
    return next;
  }

  /**
   * Reads the due index (asynchronous, so it may lag the table by a moment), skips entries whose lease is
   * held, then re-reads each candidate from the table and keeps only rows still due with a free lease.
   */
  async listDue(now: Date, limit: number): Promise<Task[]> {
    const want = Math.max(0, Math.floor(limit));
    const t = BigInt(now.getTime());
    const found: Task[] = [];
    let start: PrimaryKey = [['due_at', INF_MIN], ['id', INF_MIN]];
    while (found.length < want) {
      const page = await this.range(this.tables.dueIndex, { start, end: [['due_at', t + 1n], ['id', INF_MIN]], limit: Math.min(INDEX_PAGE, want + 1) });
      const candidates = page.rows.filter((r) => typeof r.columns['lease_until'] !== 'bigint' || r.columns['lease_until'] <= t);
      const tasks = await mapLimited(candidates, READ_CONCURRENCY, (r) => this.get(String(r.key['id'])));
      for (const task of tasks) {
        if (found.length >= want || !task?.dueAt) continue;
        const free = task.leaseUntil === undefined || Date.parse(task.leaseUntil) <= now.getTime();
        if (Date.parse(task.dueAt) <= now.getTime() && free) found.push(task);
      }
      if (!page.next) break;
      start = page.next;
    }
    return found.sort((a, b) => Date.parse(a.dueAt!) - Date.parse(b.dueAt!) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async tryLease(id: string, owner: string, until: Date, now: Date): Promise<Task | undefined> {
    const row = await this.read(id);
    if (!row) return undefined;
    const current = parseTaskRow(row.columns);
    const held = current.leaseUntil !== undefined && Date.parse(current.leaseUntil) > now.getTime() && current.leaseOwner !== owner;
    if (held) return undefined;
    const next: Task = { ...current, leaseOwner: owner, leaseUntil: until.toISOString(), version: current.version + 1, updatedAt: now.toISOString() };
    return (await this.replace(next, current.version)) === 'applied' ? next : undefined;
  }

  async listByStatus(status: TaskStatus | undefined, limit: number, cursor?: string, order: ListOrder = 'asc', tenant?: string): Promise<TaskPage> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor, order);
    const n = Math.max(1, Math.floor(limit));
    const desc = order === 'desc';
    const prefix: PrimaryKey = [];
    if (tenant !== undefined) prefix.push(['tenant', tenant]);
    if (status !== undefined) prefix.push(['status', status]);
    const index = tenant !== undefined ? (status !== undefined ? this.tables.tenantStatusIndex : this.tables.tenantCreatedIndex) : status !== undefined ? this.tables.statusIndex : this.tables.createdIndex;
    const low: PrimaryKey = [...prefix, ['created_at', INF_MIN], ['id', INF_MIN]];
    const high: PrimaryKey = [...prefix, ['created_at', INF_MAX], ['id', INF_MAX]];
    let start: PrimaryKey | undefined = after ? [...prefix, ['created_at', after.c], ['id', after.i]] : desc ? high : low;
    const entries: Row[] = [];
    while (start && entries.length <= n) {
      const page = await this.range(index, { start, end: desc ? low : high, backward: desc, limit: Math.min(INDEX_PAGE, n + 2) });
      // the cursor's own entry is where the range starts (inclusive); it was on the previous page
      entries.push(...page.rows.filter((r) => !(after && r.key['created_at'] === after.c && r.key['id'] === after.i)));
      start = page.next;
    }
    const pageEntries = entries.slice(0, n);
    const last = pageEntries[pageEntries.length - 1];
    // the index trails the table: read each task from the table and drop entries that no longer match
    const tasks = (await mapLimited(pageEntries, READ_CONCURRENCY, (r) => this.get(String(r.key['id'])))).filter(
      (t): t is Task => t !== undefined && (status === undefined || t.status === status) && (tenant === undefined || t.tenant === tenant),
    );
    return { tasks, ...(entries.length > n && last ? { next: encodeCursor(last.key['created_at'], last.key['id'], order) } : {}) };
  }

  async putIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    const key: PrimaryKey = [['key', record.key]];
    const columns = { task_id: record.taskId, request_hash: record.requestHash, created_at: record.createdAt };
    const readBack = async () => {
      const row = await this.client.getRow(this.tables.idempotency, key);
      if (!row) return undefined;
      const { task_id: taskId, request_hash: requestHash, created_at: createdAt } = row.columns;
      if (typeof taskId !== 'string' || typeof requestHash !== 'string' || typeof createdAt !== 'string') throw new TaskStoreError(`idempotency key ${record.key}: malformed row`);
      return { key: record.key, taskId, requestHash, createdAt };
    };
    const outcome = await this.write(
      () => this.client.putRow(this.tables.idempotency, key, columns, { row: 'EXPECT_NOT_EXIST' }),
      async () => {
        const r = await readBack();
        return !r ? 'not-applied' : r.taskId === record.taskId && r.requestHash === record.requestHash && r.createdAt === record.createdAt ? 'applied' : 'lost';
      },
      `record idempotency key ${record.key}`,
    );
    if (outcome === 'applied') return undefined;
    const first = await readBack().catch((e: unknown) => Promise.reject(storeError(e, `read idempotency key ${record.key}`)));
    if (!first) throw new TaskStoreError(`idempotency key ${record.key} vanished`);
    return first;
  }

  private key(id: string): PrimaryKey {
    return [['id', id]];
  }

  private async read(id: string): Promise<Row | undefined> {
    try {
      return await this.client.getRow(this.tables.tasks, this.key(id));
    } catch (e) {
      throw storeError(e, `read task ${id}`);
    }
  }

  private async range(table: string, q: Parameters<TablestoreClient['getRange']>[1]) {
    try {
      return await this.client.getRange(table, q);
    } catch (e) {
      throw storeError(e, `read index ${table}`);
    }
  }

  /** Writes `next` over the row at `expectedVersion`: 'gone' when the row vanished, 'lost' when it moved on. */
  private async replace(next: Task, expectedVersion: number): Promise<Settled | 'gone'> {
    const columns = taskColumns(next);
    const cleared = ['due_at', 'lease_until'].filter((c) => !(c in columns));
    // passIfMissing false: a row without a version column must never pass as "at the expected version"
    const condition: WriteCondition = { row: 'EXPECT_EXIST', column: { name: 'version', equals: BigInt(expectedVersion), passIfMissing: false } };
    let gone = false;
    const outcome = await this.write(
      () => this.client.updateRow(this.tables.tasks, this.key(next.id), { put: columns, deleteAll: cleared }, condition),
      async () => {
        const row = await this.client.getRow(this.tables.tasks, this.key(next.id));
        gone = !row;
        if (!row) return 'lost';
        if (row.columns['data'] === columns['data']) return 'applied';
        return row.columns['version'] === BigInt(expectedVersion) ? 'not-applied' : 'lost';
      },
      `update task ${next.id}`,
      true,
    );
    return gone && outcome === 'lost' ? 'gone' : outcome;
  }

  /**
   * Runs a conditional write. A failed condition is 'lost', unless an earlier attempt's answer went missing
   * (that attempt may be what changed the row): then the row is read back. `settle` reads the row and says
   * whether it holds our write, the state before it, or someone else's.
   */
  private async write(attempt: () => Promise<void>, settle: () => Promise<Settled>, what: string, settleOnConflict = false): Promise<Settled> {
    let uncertain = false;
    for (let i = 0; ; i++) {
      try {
        await attempt();
        return 'applied';
      } catch (e) {
        if (!(e instanceof OtsError)) throw storeError(e, what);
        if (e.conditionFailed) {
          if (!uncertain && !settleOnConflict) return 'lost';
          const s = await settle().catch((x: unknown) => Promise.reject(storeError(x, what)));
          return s === 'applied' ? 'applied' : 'lost';
        }
        if (!e.ambiguous || i >= AMBIGUOUS_RETRIES) throw storeError(e, what);
        uncertain = true;
        const s = await settle().catch((x: unknown) => Promise.reject(storeError(x, what)));
        if (s !== 'not-applied') return s;
      }
    }
  }
}
