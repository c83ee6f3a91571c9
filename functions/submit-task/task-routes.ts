// The four task routes: parse the request, call one use case, map its result to HTTP. A DashScope refusal of
// a create is answered 422 (the request was valid here but DashScope refused it: content, parameters) or
// 502 (the service's DashScope key or account, or DashScope failing); either way the task exists, FAILED, at
// the Location given.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJson } from '../../shared/http/body.ts';
import { HttpError } from '../../shared/http/errors.ts';
import { sendJson } from '../../shared/http/respond.ts';
import type { RouteMatch } from '../../shared/http/router.ts';
import type { RouteSpec } from '../../shared/runtime/fc.ts';
import { clip } from '../../shared/text/clip.ts';
import { cancelTask } from '../../shared/use-cases/tasks/cancel-task.ts';
import { IDEMPOTENCY_KEY_PATTERN, submitTask, type SubmitResult } from '../../shared/use-cases/tasks/submit-task.ts';
import type { TaskDeps } from '../../shared/use-cases/tasks/task-deps.ts';
import { getTaskOr404, listTasks, parseListQuery, TASK_ID_MAX_CHARS } from '../../shared/use-cases/tasks/task-queries.ts';
import { parseTaskRequest, TASK_MAX_BODY_BYTES } from '../../shared/use-cases/tasks/task-request.ts';
import { toTaskView } from '../../shared/use-cases/tasks/task-view.ts';
import { upstreamAccountFailure } from '../../shared/use-cases/upstream-account.ts';

export interface RouteCall {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  url: URL;
  match: RouteMatch<RouteSpec>;
  /** Fields for the request's log line. */
  note: Record<string, unknown>;
}

const location = (id: string): string => `/v1/tasks/${encodeURIComponent(id)}`;

function idempotencyKeyOf(req: IncomingMessage): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (Array.isArray(raw) && raw.length > 1) throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key: given more than once', { param: 'Idempotency-Key' });
  if (!key || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key: 1-255 printable ASCII characters without spaces', { param: 'Idempotency-Key' });
  }
  return key;
}

/** A create DashScope refused: the task is FAILED; the answer says why and where it is. */
function refusal(result: SubmitResult): HttpError | undefined {
  if (result.kind === 'replayed') return undefined;
  const o = result.outcome;
  if (o.kind !== 'rejected' && o.kind !== 'gave-up') return undefined;
  const f = o.failure;
  const headers = { location: location(result.task.id) };
  const account = upstreamAccountFailure(f);
  if (account) return new HttpError(account.statusCode, account.code, `${account.message} Task ${result.task.id} is FAILED.`, { headers, expose: true });
  if (f.kind === 'rejected' && f.status !== undefined && [400, 404, 422].includes(f.status)) {
    return new HttpError(422, 'upstream_rejected', `DashScope rejected the task (${f.code}): ${f.message}; task ${result.task.id} is FAILED`, { headers });
  }
  return new HttpError(502, 'upstream_error', `DashScope did not accept task ${result.task.id} (${f.code})`, { headers });
}

export async function handleTaskRoute(deps: TaskDeps, call: RouteCall): Promise<void> {
  const { req, res, requestId, match, note } = call;
  const ttl = deps.config.SIGNED_URL_TTL_S;
  const reply = async (status: number, task: Parameters<typeof toTaskView>[0], headers: Record<string, string> = {}) =>
    sendJson(res, status, await toTaskView(task, deps.objects, ttl), { 'x-request-id': requestId, ...headers });

  if (match.route.method === 'POST') {
    const idempotencyKey = idempotencyKeyOf(req);
    const request = parseTaskRequest(await readJson(req, TASK_MAX_BODY_BYTES));
    note.type = request.type;
    note.model = request.model;
    const result = await submitTask(deps, { request, requestId, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) });
    note.taskId = result.task.id;
    note.outcome = result.kind;
    const refused = refusal(result);
    if (refused) throw refused;
    return reply(202, result.task, { location: location(result.task.id), ...(result.kind === 'replayed' ? { 'idempotent-replayed': 'true' } : {}) });
  }
  if (match.route.method === 'DELETE') {
    const id = match.params.id ?? '';
    note.taskId = clip(id, TASK_ID_MAX_CHARS);
    return reply(200, await cancelTask(deps, id, requestId));
  }
  if (match.route.path === '/v1/tasks/:id') {
    note.taskId = clip(match.params.id ?? '', TASK_ID_MAX_CHARS);
    return reply(200, await getTaskOr404(deps.tasks, match.params.id ?? ''));
  }
  const page = await listTasks(deps.tasks, parseListQuery(call.url.searchParams));
  const data = await Promise.all(page.tasks.map((t) => toTaskView(t, deps.objects, ttl)));
  sendJson(res, 200, { object: 'list', data, ...(page.next ? { next: page.next } : {}) }, { 'x-request-id': requestId });
}
