// DashScope's native async task paths: create at the image or video synthesis path (answered with the layer's
// task id, PENDING), `GET /api/v1/tasks/{id}` in DashScope's task shape and its cancel; the use cases of /v1/tasks.
import { NATIVE_PATH_PREFIX } from '../../shared/http/dashscope-error.ts';
import type { HttpCall } from '../../shared/http/http-function.ts';
import { readJson } from '../../shared/http/body.ts';
import { sendJson } from '../../shared/http/respond.ts';
import { clip } from '../../shared/text/clip.ts';
import { cancelTask } from '../../shared/use-cases/tasks/cancel-task.ts';
import type { TaskDeps } from '../../shared/use-cases/tasks/task-deps.ts';
import { UnknownTaskError } from '../../shared/use-cases/tasks/task-errors.ts';
import { getTaskOr404, TASK_ID_MAX_CHARS } from '../../shared/use-cases/tasks/task-queries.ts';
import { TASK_MAX_BODY_BYTES } from '../../shared/use-cases/tasks/task-request.ts';
import { fromNativeTaskRequest, NATIVE_STATUS, toNativeTask, unknownNativeTask, type NativeSynthesis } from '../../shared/use-cases/tasks/native-task.ts';
import { InvalidRequestError } from '../../shared/validation/request-errors.ts';
import { submitForCall } from './task-routes.ts';

export const NATIVE_TASK_ROUTES = [
  { method: 'POST', path: '/api/v1/services/aigc/text2image/image-synthesis' },
  { method: 'POST', path: '/api/v1/services/aigc/video-generation/video-synthesis' },
  { method: 'GET', path: '/api/v1/tasks/:id' },
  { method: 'POST', path: '/api/v1/tasks/:id/cancel' },
] as const;

const SYNTHESIS_OF: Readonly<Record<string, NativeSynthesis>> = {
  '/api/v1/services/aigc/text2image/image-synthesis': 'image-synthesis',
  '/api/v1/services/aigc/video-generation/video-synthesis': 'video-synthesis',
};

export function isNativeTaskRoute(path: string): boolean {
  return path.startsWith(NATIVE_PATH_PREFIX);
}

/** Every native create is asynchronous here: the header DashScope requires is accepted, any other value refused. */
function checkAsyncHeader(call: HttpCall): void {
  const raw = call.req.headers['x-dashscope-async'];
  if (raw === undefined) return;
  if (typeof raw !== 'string' || raw.trim().toLowerCase() !== 'enable') throw new InvalidRequestError('invalid_request', "X-DashScope-Async: only 'enable' is supported (tasks are asynchronous)", 'X-DashScope-Async');
}

export async function handleNativeTaskRoute(deps: TaskDeps, call: HttpCall): Promise<void> {
  const { requestId, note, principal } = call;
  const json = (body: unknown) => sendJson(call.res, 200, body, { 'x-request-id': requestId });
  const synthesis = SYNTHESIS_OF[call.route.path];
  if (synthesis) {
    checkAsyncHeader(call);
    const result = await submitForCall(deps, call, fromNativeTaskRequest(synthesis, await readJson(call.req, TASK_MAX_BODY_BYTES)));
    return json({ request_id: requestId, output: { task_id: result.task.id, task_status: NATIVE_STATUS[result.task.status] } });
  }
  const id = call.params.id ?? '';
  note.taskId = clip(id, TASK_ID_MAX_CHARS);
  if (call.route.path === '/api/v1/tasks/:id/cancel') {
    // DashScope answers a cancel with the request id alone; a refusal is its UnsupportedOperation
    await cancelTask(deps, id, requestId, principal);
    return json({ request_id: requestId });
  }
  try {
    const task = await getTaskOr404(deps.tasks, id, principal);
    return json(await toNativeTask(task, deps.objects, deps.config.SIGNED_URL_TTL_S, requestId));
  } catch (e) {
    // DashScope answers an id it does not know with UNKNOWN (200); another tenant's task is answered the same
    if (e instanceof UnknownTaskError) return json(unknownNativeTask(id, requestId));
    throw e;
  }
}
