// TaskStore: durable task rows (Table Store in the cloud, SQLite locally). Every write is conditional on the
// row's version so that two writers never both win; the loser gets TaskConflictError and re-reads.
import type { Task, TaskStatus } from '../domain/task.ts';

export class TaskStoreError extends Error {
  override name = 'TaskStoreError';
}
/** create() of an id that already exists. */
export class TaskAlreadyExistsError extends TaskStoreError {
  override name = 'TaskAlreadyExistsError';
  constructor(readonly taskId: string) {
    super(`task ${taskId} already exists`);
  }
}
/** A conditional write lost: the row changed (or vanished) since it was read. */
export class TaskConflictError extends TaskStoreError {
  override name = 'TaskConflictError';
  constructor(readonly taskId: string, readonly expectedVersion: number) {
    super(`task ${taskId} changed since version ${expectedVersion}`);
  }
}
export class TaskNotFoundError extends TaskStoreError {
  override name = 'TaskNotFoundError';
  constructor(readonly taskId: string) {
    super(`task ${taskId} not found`);
  }
}

/** Fields a conditional update may change (id, createdAt and version are managed by the store; the tenant never changes). */
export type TaskPatch = Partial<Omit<Task, 'id' | 'tenant' | 'createdAt' | 'version' | 'updatedAt'>>;

export interface IdempotencyRecord {
  key: string;
  taskId: string;
  requestHash: string;
  createdAt: string;
}

/** Listing order by creation time: oldest first, or newest first (what the task API shows by default). */
export type ListOrder = 'asc' | 'desc';

export interface TaskPage {
  tasks: Task[];
  /** Opaque cursor for the next page, absent on the last. */
  next?: string;
}

export interface TaskStore {
  /** Creates the row once; throws TaskAlreadyExistsError if the id exists. */
  create(task: Task): Promise<void>;
  get(id: string): Promise<Task | undefined>;
  /**
   * Writes `patch` only if the row is still at `expectedVersion`; returns the new row (version + 1,
   * updatedAt = now). Throws TaskConflictError if it moved on, TaskNotFoundError if it is gone.
   * `undefined` values in the patch clear the field.
   */
  update(id: string, expectedVersion: number, patch: TaskPatch, now: Date): Promise<Task>;
  /**
   * Tasks whose dueAt ≤ now and whose lease is free (absent or ≤ now), oldest due first. Served by an
   * index on dueAt: cost grows with the number of due tasks, not with history. The index may lag the rows
   * (Table Store's global indexes are asynchronous): a task that just fell due can be missing until the next
   * call, and a listed task may have been leased or finished meanwhile. Callers take it with tryLease, whose
   * conditional write refuses a task that moved on; never act on a listed task without that lease.
   */
  listDue(now: Date, limit: number): Promise<Task[]>;
  /**
   * Takes the lease if it is free at `now` (conditional write); returns the leased row, or undefined if
   * another owner holds it or the row moved on.
   */
  tryLease(id: string, owner: string, until: Date, now: Date): Promise<Task | undefined>;
  /**
   * A page of tasks (of one status, or all) by creation time, oldest first unless `order` is 'desc'; ties are
   * broken by id. `cursor` is the `next` of the previous page of the same listing; a cursor the store did not
   * hand out, or one from the other order, throws TaskStoreError. Served by an index in either order; like
   * listDue's, that index may trail the rows by a moment (a task created just now may be missing for it).
   * With `tenant`, only that tenant's tasks, from an index led by the tenant (cost grows with the tenant's
   * tasks, not everyone's); without, every task, including those written before tasks had owners.
   */
  listByStatus(status: TaskStatus | undefined, limit: number, cursor?: string, order?: ListOrder, tenant?: string): Promise<TaskPage>;
  /**
   * Records an idempotency key once. Returns undefined when this call created it, or the record that was
   * there first (same key, maybe another request).
   */
  putIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined>;
}
