// Reading tasks for apps: one by id, or a page of them by status, newest first unless asked otherwise (the
// store's cursor, passed through), each only as its tenant (or an admin) may see it. Query parameters are
// parsed strictly and named as such in every error.
import { TASK_STATUSES, type Task, type TaskStatus } from '../../domain/task.ts';
import { canSee, type Principal } from '../../domain/tenant.ts';
import { TaskStoreError, type ListOrder, type TaskStore } from '../../ports/task-store.ts';
import { clip } from '../../text/clip.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { UnknownTaskError } from './task-errors.ts';

/** Task ids are ours (`task_` + 32 hex); anything longer than this is refused before a lookup. */
export const TASK_ID_MAX_CHARS = 128;

/** Who is asking: a tenant sees its own tasks, an admin every task. */
export type TaskViewer = Pick<Principal, 'tenant' | 'role'>;

/**
 * The task, if `viewer` may see it. Another tenant's task is refused exactly as an id that does not exist
 * (same error, same words), so an id says nothing about whether someone else has it.
 */
export async function getTaskOr404(tasks: Pick<TaskStore, 'get'>, id: string, viewer: TaskViewer): Promise<Task> {
  if (id.length > TASK_ID_MAX_CHARS) {
    throw new InvalidRequestError('invalid_task_id', `task id in the path: must be at most ${TASK_ID_MAX_CHARS} characters`, 'id');
  }
  const task = /^[A-Za-z0-9_-]{1,128}$/.test(id) ? await tasks.get(id) : undefined;
  if (!task || !canSee(viewer, task.tenant)) throw new UnknownTaskError(id);
  return task;
}

export interface ListQuery {
  status?: TaskStatus;
  limit: number;
  cursor?: string;
  order: ListOrder;
}

const LIST_PARAMS = ['status', 'limit', 'cursor', 'order'] as const;
const ORDERS: readonly ListOrder[] = ['desc', 'asc'];
export const LIST_LIMIT = { min: 1, max: 100, default: 20 } as const;
const CURSOR_MAX_CHARS = 2_048;

function badParam(name: string, message: string): InvalidRequestError {
  return new InvalidRequestError('invalid_query_parameter', `query parameter '${name}' ${message}`, name);
}

/** One value of `name`, or undefined; repeats are refused rather than silently resolved one way or the other. */
function single(params: URLSearchParams, name: string): string | undefined {
  const all = params.getAll(name);
  if (all.length > 1) throw badParam(name, 'is given more than once');
  return all[0];
}

/**
 * Parses `?status=&limit=&cursor=&order=`: unknown and repeated parameters refused, `limit` a plain decimal
 * (no `0x10`, `1e1`, sign or blank: Number() would take them), every error a 400 naming the parameter.
 */
export function parseListQuery(params: URLSearchParams): ListQuery {
  for (const name of params.keys()) {
    if (!(LIST_PARAMS as readonly string[]).includes(name)) {
      throw badParam(clip(name, 40), `is not supported; use ${LIST_PARAMS.join(', ')}`);
    }
  }
  const status = single(params, 'status');
  if (status !== undefined && !(TASK_STATUSES as readonly string[]).includes(status)) throw badParam('status', `must be one of ${TASK_STATUSES.join(', ')}`);
  const limit = single(params, 'limit');
  const n = limit !== undefined && /^[0-9]+$/.test(limit) ? Number(limit) : Number.NaN;
  if (limit !== undefined && !(n >= LIST_LIMIT.min && n <= LIST_LIMIT.max)) {
    throw badParam('limit', `must be a whole number from ${LIST_LIMIT.min} to ${LIST_LIMIT.max} in decimal digits`);
  }
  const cursor = single(params, 'cursor');
  if (cursor !== undefined && (cursor.length === 0 || cursor.length > CURSOR_MAX_CHARS)) {
    throw badParam('cursor', `must be the 'next' of a previous page (1-${CURSOR_MAX_CHARS} characters)`);
  }
  const order = single(params, 'order');
  if (order !== undefined && !(ORDERS as readonly string[]).includes(order)) throw badParam('order', `must be desc (newest first, the default) or asc`);
  return {
    ...(status !== undefined ? { status: status as TaskStatus } : {}),
    limit: limit !== undefined ? n : LIST_LIMIT.default,
    ...(cursor !== undefined ? { cursor } : {}),
    order: (order as ListOrder | undefined) ?? 'desc',
  };
}

/** A page of the tasks `viewer` may see: its tenant's, or every task for an admin. */
export async function listTasks(tasks: Pick<TaskStore, 'listByStatus'>, q: ListQuery, viewer: TaskViewer): Promise<{ tasks: Task[]; next?: string }> {
  try {
    return await tasks.listByStatus(q.status, q.limit, q.cursor, q.order, viewer.role === 'admin' ? undefined : viewer.tenant);
  } catch (e) {
    // A cursor the store cannot read is the caller's mistake, not ours.
    if (q.cursor && e instanceof TaskStoreError) {
      throw new InvalidRequestError('invalid_cursor', `query parameter 'cursor' is not the 'next' of a page of this listing in order '${q.order}'`, 'cursor', { cause: e });
    }
    throw e;
  }
}
