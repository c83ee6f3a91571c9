// submit-task: the HTTP face of async media tasks (submit, read, list, cancel) and the OSS `inbox/` trigger
// (an app uploads a JSON request, the object key is its idempotency key). A web function: FC runs server.ts,
// the local runtime mounts the same handler; `handler` is the event entry for the inbox trigger. With
// CLIENT_API_KEYS set, every HTTP request needs one of those keys (shared/http/client-auth.ts).
import type { Deps } from '../../shared/deps/deps.ts';
import { clientAuthFor } from '../../shared/http/client-auth.ts';
import { requestIdOf, sendError } from '../../shared/http/respond.ts';
import { requireRoute } from '../../shared/http/router.ts';
import { eventEntry } from '../../shared/runtime/event-entry.ts';
import type { EventHandler, HttpHandler, RouteSpec } from '../../shared/runtime/fc.ts';
import { clip } from '../../shared/text/clip.ts';
import type { TaskDeps } from '../../shared/use-cases/tasks/task-deps.ts';
import { createInboxHandler } from './inbox-handler.ts';
import { handleTaskRoute } from './task-routes.ts';

export const FUNCTION_NAME = 'submit-task';

export const routes = [
  { method: 'POST', path: '/v1/tasks' },
  { method: 'GET', path: '/v1/tasks' },
  { method: 'GET', path: '/v1/tasks/:id' },
  { method: 'DELETE', path: '/v1/tasks/:id' },
] as const satisfies readonly RouteSpec[];

export function createHttpHandler(deps: Deps): HttpHandler {
  const taskDeps: TaskDeps = deps;
  const log = deps.logger.child({ fn: FUNCTION_NAME });
  const auth = clientAuthFor(deps.config, log);
  return async (req, res) => {
    const startedAt = performance.now();
    const requestId = requestIdOf(req);
    const url = new URL(req.url ?? '/', 'http://local');
    let status: number;
    const note: Record<string, unknown> = {};
    try {
      auth(req);
      const match = requireRoute(routes, req.method ?? 'GET', url.pathname);
      await handleTaskRoute(taskDeps, { req, res, requestId, url, match, note });
      status = res.statusCode;
    } catch (e) {
      status = sendError(res, e, requestId);
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string') note.errorCode = code;
      if (status >= 500) note.error = e;
    }
    const line = { requestId, method: req.method, path: clip(url.pathname, 200), status, latencyMs: Math.round(performance.now() - startedAt), ...note };
    if (status >= 500) log.error('request', line);
    else log.info('request', line);
  };
}

export function createEventHandler(deps: Deps): EventHandler {
  return createInboxHandler(deps, deps.logger.child({ fn: FUNCTION_NAME }));
}

/** FC event entry (the OSS `inbox/` trigger). */
export const handler: EventHandler = eventEntry(createEventHandler);
