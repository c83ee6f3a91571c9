// The fine-tune routes: `POST /v1/fine-tunes` checks the caller's training file and starts the job as a
// `fine-tune` task; `GET /v1/fine-tunes/{id}` shows it (its status and, once done, the fine-tuned model id).
import { readJson } from '../../shared/http/body.ts';
import { sendJson } from '../../shared/http/respond.ts';
import type { HttpCall } from '../../shared/http/http-function.ts';
import type { RouteSpec } from '../../shared/runtime/fc.ts';
import { clip } from '../../shared/text/clip.ts';
import { createFineTune } from '../../shared/use-cases/finetune/create-fine-tune.ts';
import { FINE_TUNE_MAX_BODY_BYTES, parseFineTuneRequest } from '../../shared/use-cases/finetune/fine-tune-request.ts';
import { createRefusal } from '../../shared/use-cases/tasks/submit-task.ts';
import type { TaskDeps } from '../../shared/use-cases/tasks/task-deps.ts';
import { UnknownTaskError } from '../../shared/use-cases/tasks/task-errors.ts';
import { getTaskOr404, TASK_ID_MAX_CHARS } from '../../shared/use-cases/tasks/task-queries.ts';
import { toTaskView } from '../../shared/use-cases/tasks/task-view.ts';
import { idempotencyKeyOf } from './task-routes.ts';

const location = (id: string): string => `/v1/fine-tunes/${encodeURIComponent(id)}`;

export async function handleFineTuneRoute(deps: TaskDeps, call: HttpCall<RouteSpec>): Promise<void> {
  const { req, res, requestId, route, params, note, principal } = call;
  const ttl = deps.config.SIGNED_URL_TTL_S;
  const reply = async (status: number, task: Parameters<typeof toTaskView>[0], headers: Record<string, string> = {}) =>
    sendJson(res, status, await toTaskView(task, deps.objects, ttl), { 'x-request-id': requestId, ...headers });

  if (route.method === 'POST') {
    const idempotencyKey = idempotencyKeyOf(req);
    const request = parseFineTuneRequest(await readJson(req, FINE_TUNE_MAX_BODY_BYTES));
    note.type = 'fine-tune';
    note.model = request.model;
    const { result } = await createFineTune(deps, { request, principal, requestId, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) });
    note.taskId = result.task.id;
    note.outcome = result.kind;
    const refused = createRefusal(result);
    if (refused) throw refused;
    return reply(202, result.task, { location: location(result.task.id), ...(result.kind === 'replayed' ? { 'idempotent-replayed': 'true' } : {}) });
  }
  const id = params.id ?? '';
  note.taskId = clip(id, TASK_ID_MAX_CHARS);
  const task = await getTaskOr404(deps.tasks, id, principal);
  // a media task is not a fine-tune: unknown here, as any other id
  if (task.type !== 'fine-tune') throw new UnknownTaskError(id);
  return reply(200, task);
}
