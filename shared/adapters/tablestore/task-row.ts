// A task as a Table Store row: the task as JSON in `data` (checked against its schema on the way out) plus the
// columns the conditions and indexes need, INTEGER (bigint) epoch ms for times and the version.
import { decodePageCursor, encodePageCursor, storedTaskSchema } from '../stored-rows.ts';
import type { Task } from '../../domain/task.ts';
import { parseJson } from '../../json/parse-json.ts';
import { TaskStoreError, type ListOrder } from '../../ports/task-store.ts';
import type { Columns, OtsValue } from './tablestore-client.ts';

/** ISO time → epoch ms as INTEGER; an unparsable time is a caller bug, not a row to store. */
export function epochMs(iso: string, field: string): bigint {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new TaskStoreError(`${field} is not an ISO time: ${iso.slice(0, 40)}`);
  return BigInt(t);
}

/** Every column of the row for `task`; tenant, due_at and lease_until are absent when the task has none. */
export function taskColumns(task: Task): Columns {
  return {
    data: JSON.stringify(task),
    version: BigInt(task.version),
    status: task.status,
    ...(task.tenant !== undefined ? { tenant: task.tenant } : {}),
    created_at: epochMs(task.createdAt, 'createdAt'),
    ...(task.dueAt !== undefined ? { due_at: epochMs(task.dueAt, 'dueAt') } : {}),
    ...(task.leaseUntil !== undefined ? { lease_until: epochMs(task.leaseUntil, 'leaseUntil') } : {}),
  };
}

export function parseTaskRow(columns: Columns): Task {
  const data = columns['data'];
  if (typeof data !== 'string') throw new TaskStoreError('stored task row has no data column');
  let raw: unknown;
  try {
    raw = parseJson(data);
  } catch {
    throw new TaskStoreError('stored task row is not JSON');
  }
  const r = storedTaskSchema.safeParse(raw);
  if (!r.success) throw new TaskStoreError(`stored task row is malformed: ${r.error.issues[0]?.message ?? 'unknown'}`);
  if (columns['version'] !== BigInt(r.data.version)) throw new TaskStoreError(`task ${r.data.id}: version column and data disagree`);
  return r.data;
}

/** The page cursor after a row (the shared format of stored-rows.ts, from the row's INTEGER creation time). */
export function encodeCursor(createdAt: OtsValue | undefined, id: OtsValue | undefined, order: ListOrder): string {
  return encodePageCursor(Number(createdAt), String(id), order);
}

export function decodeCursor(cursor: string, order: ListOrder): { c: bigint; i: string } {
  const { c, i } = decodePageCursor(cursor, order);
  return { c: BigInt(c), i };
}
