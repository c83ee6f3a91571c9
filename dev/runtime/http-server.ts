// The local runtime's HTTP server: one port for every http-triggered function, plus `/healthz` and `/_oss/*`
// (no object route in the cloud rehearsal); unknown paths get a JSON 404, a wrong method a JSON 405 with Allow.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { LocalFsObjectStore } from '../../shared/adapters/local-fs/local-fs-object-store.ts';
import { HttpError } from '../../shared/http/errors.ts';
import { requestIdOf, sendError, sendJson } from '../../shared/http/respond.ts';
import { requireRoute } from '../../shared/http/router.ts';
import { errorShapeOf } from '../../shared/http/dashscope-error.ts';
import type { RouteMatch } from '../../shared/runtime/fc.ts';
import { createLimitedServer, type ServerLimits } from '../../shared/http/server-limits.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { Invocations } from './invocations.ts';
import { OBJECT_ROUTE_PREFIX, serveObject } from './object-route.ts';
import { HEALTH_PATH, type RuntimeRoute } from './route-table.ts';

export interface RuntimeServerOptions {
  routes: readonly RuntimeRoute[];
  /** The local object store whose signed URLs `/_oss/*` serves; absent, there is no such route (the cloud rehearsal). */
  objects?: LocalFsObjectStore;
  invocations: Invocations;
  health: () => unknown;
  log: Logger;
  limits: ServerLimits;
}

export function createRuntimeServer(options: RuntimeServerOptions): Server {
  const { routes, objects, invocations, log } = options;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = requestIdOf(req);
    // As on FC, the function sees the request id in x-fc-request-id (its requestIdOf() reads it).
    req.headers['x-fc-request-id'] = requestId;
    const method = req.method ?? 'GET';
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://local').pathname;
    } catch {
      return void sendError(res, new HttpError(400, 'invalid_url', 'request URL is malformed'), requestId);
    }
    if (path === HEALTH_PATH && (method === 'GET' || method === 'HEAD')) return sendJson(res, 200, options.health(), { 'x-request-id': requestId });
    if (objects && path.startsWith(OBJECT_ROUTE_PREFIX)) return serveObject(objects, req, res, requestId);
    let found: RouteMatch<(typeof routes)[number]>;
    try {
      found = requireRoute(routes, method, path);
    } catch (e) {
      return void sendError(res, e, requestId, errorShapeOf(path));
    }
    const { fn, trigger } = found.route;
    try {
      await invocations.track(fn, trigger, requestId, () => fn.http!(req, res, found));
    } catch (e) {
      if (sendError(res, e, requestId, errorShapeOf(path)) >= 500) log.error('http function threw', { fn: fn.name, requestId, error: e });
    }
  };

  return createLimitedServer(options.limits, (req, res) => void handle(req, res));
}
