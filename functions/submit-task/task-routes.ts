// The four task routes: parse the request, call one use case for the caller's tenant, answer its result. A
// create DashScope refused is thrown as the use case's refusal (the task exists, FAILED); the error table
// says how it is answered.
import type { IncomingMessage } from 'node:http';
import { readJson } from '../../shared/http/body.ts';
import { sendJson } from '../../shared/http/respond.ts';
import { queryOf, type HttpCall } from '../../shared/http/http-function.ts';
import type { RouteSpec } from '../../shared/runtime/fc.ts';
import { clip } from '../../shared/text/clip.ts';
import { cancelTask } from '../../shared/use-cases/tasks/cancel-task.ts';
import { createRefusal, IDEMPOTENCY_KEY_PATTERN, submitTask, type SubmitResult } from '../../shared/use-cases/tasks/submit-task.ts';
import type { TaskDeps } from '../../shared/use-cases/tasks/task-deps.ts';
import { getTaskOr404, listTasks, parseListQuery, TASK_ID_MAX_CHARS } from '../../shared/use-cases/tasks/task-queries.ts';
import { parseTaskRequest, TASK_MAX_BODY_BYTES, type TaskRequest } from '../../shared/use-cases/tasks/task-request.ts';
import { toTaskView } from '../../shared/use-cases/tasks/task-view.ts';
import { InvalidRequestError } from '../../shared/validation/request-errors.ts';

const location = (id: string): string => `/v1/tasks/${encodeURIComponent(id)}`;

export function idempotencyKeyOf(req: IncomingMessage): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (Array.isArray(raw) && raw.length > 1) throw new InvalidRequestError('invalid_idempotency_key', 'Idempotency-Key: given more than once', 'Idempotency-Key');
  if (!key || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new InvalidRequestError('invalid_idempotency_key', 'Idempotency-Key: 1-255 printable ASCII characters without spaces', 'Idempotency-Key');
  }
  return key;
}

/**
 * Submits a request parsed from `call` for its caller, with the call's Idempotency-Key, noting what the request log
 * says; a request the submission refused (a spent budget) is thrown.
 */
export async function submitForCall(deps: TaskDeps, call: HttpCall<RouteSpec>, request: TaskRequest): Promise<SubmitResult> {
  const { note, principal, requestId } = call;
  const idempotencyKey = idempotencyKeyOf(call.req);
  note.type = request.type;
  note.model = request.model;
  const result = await submitTask(deps, { request, tenant: principal.tenant, principal, requestId, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) });
  note.taskId = result.task.id;
  note.outcome = result.kind;
  const refused = createRefusal(result);
  if (refused) throw refused;
  return result;
}

export async function handleTaskRoute(deps: TaskDeps, call: HttpCall<RouteSpec>): Promise<void> {
  const { req, res, requestId, route, params, note, principal } = call;
  const ttl = deps.config.SIGNED_URL_TTL_S;
  const reply = async (status: number, task: Parameters<typeof toTaskView>[0], headers: Record<string, string> = {}) =>
    sendJson(res, status, await toTaskView(task, deps.objects, ttl), { 'x-request-id': requestId, ...headers });

  if (route.method === 'POST') {
    const result = await submitForCall(deps, call, parseTaskRequest(await readJson(req, TASK_MAX_BODY_BYTES)));
    return reply(202, result.task, { location: location(result.task.id), ...(result.kind === 'replayed' ? { 'idempotent-replayed': 'true' } : {}) });
  }
  if (route.method === 'DELETE') {
    const id = params.id ?? '';
    note.taskId = clip(id, TASK_ID_MAX_CHARS);
    return reply(200, await cancelTask(deps, id, requestId, principal));
  }
  if (route.path === '/v1/tasks/:id') {
    note.taskId = clip(params.id ?? '', TASK_ID_MAX_CHARS);
    return reply(200, await getTaskOr404(deps.tasks, params.id ?? '', principal));
  }
  const page = await listTasks(deps.tasks, parseListQuery(queryOf(req)), principal);
  const data = await Promise.all(page.tasks.map((t) => toTaskView(t, deps.objects, ttl)));
  sendJson(res, 200, { object: 'list', data, ...(page.next ? { next: page.next } : {}) }, { 'x-request-id': requestId });
}
