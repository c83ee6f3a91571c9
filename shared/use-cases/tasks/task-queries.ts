// Reading tasks for apps: one by id, or a page of them by status (the store's cursor, passed through).
import { z } from 'zod';
import { TASK_STATUSES, type Task } from '../../domain/task.ts';
import { HttpError } from '../../http/errors.ts';
import { validate } from '../../http/body.ts';
import { TaskStoreError, type TaskStore } from '../../ports/task-store.ts';
import { clip } from '../../text/clip.ts';

/** Task ids are ours (`task_` + 32 hex); anything longer than this is refused before a lookup. */
export const TASK_ID_MAX_CHARS = 128;

export async function getTaskOr404(tasks: Pick<TaskStore, 'get'>, id: string): Promise<Task> {
  if (id.length > TASK_ID_MAX_CHARS) {
    throw new HttpError(400, 'invalid_task_id', `task id in the path: must be at most ${TASK_ID_MAX_CHARS} characters`, { param: 'id' });
  }
  const task = /^[A-Za-z0-9_-]{1,128}$/.test(id) ? await tasks.get(id) : undefined;
  if (!task) throw new HttpError(404, 'task_not_found', `no task with id '${clip(id)}'`);
  return task;
}

export const listQuerySchema = z.strictObject({
  status: z.enum(TASK_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(2_048).optional(),
});
export type ListQuery = z.infer<typeof listQuerySchema>;

/** Parses `?status=&limit=&cursor=` (400 naming the parameter otherwise). */
export function parseListQuery(params: URLSearchParams): ListQuery {
  const raw: Record<string, string> = {};
  for (const [k, v] of params) {
    if (k in raw) throw new HttpError(400, 'invalid_request', `${k}: given more than once`, { param: k });
    raw[k] = v;
  }
  return validate(listQuerySchema, raw);
}

export async function listTasks(tasks: Pick<TaskStore, 'listByStatus'>, q: ListQuery): Promise<{ tasks: Task[]; next?: string }> {
  try {
    return await tasks.listByStatus(q.status, q.limit, q.cursor);
  } catch (e) {
    // A cursor the store cannot read is the caller's mistake, not ours.
    if (q.cursor && e instanceof TaskStoreError) throw new HttpError(400, 'invalid_cursor', 'cursor: not a cursor returned by this listing', { param: 'cursor', cause: e });
    throw e;
  }
}
