// The rehearsal's public HTTP port, standing in for the HTTP triggers (one custom domain in front of both
// web functions): the route table of `npm start` decides which function a request goes to.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { HttpError } from '../../shared/http/errors.ts';
import { requestIdOf, sendError, sendJson } from '../../shared/http/respond.ts';
import { requireRoute } from '../../shared/http/router.ts';
import { createLimitedServer, type ServerLimits } from '../../shared/http/server-limits.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { RouteMatch } from '../../shared/runtime/fc.ts';
import type { Invocations } from '../runtime/invocations.ts';
import { HEALTH_PATH, type RuntimeRoute } from '../runtime/route-table.ts';

export interface FrontServerOptions {
  routes: readonly RuntimeRoute[];
  invocations: Invocations;
  health: () => unknown;
  log: Logger;
  limits: ServerLimits;
}

export function createFrontServer(o: FrontServerOptions): Server {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = requestIdOf(req);
    // FC assigns the request id; the function reads it from x-fc-request-id
    req.headers['x-fc-request-id'] = requestId;
    const method = req.method ?? 'GET';
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://front').pathname;
    } catch {
      return void sendError(res, new HttpError(400, 'invalid_url', 'request URL is malformed'), requestId);
    }
    if (path === HEALTH_PATH && (method === 'GET' || method === 'HEAD')) return sendJson(res, 200, o.health(), { 'x-request-id': requestId });
    let found: RouteMatch<RuntimeRoute>;
    try {
      found = requireRoute(o.routes, method, path);
    } catch (e) {
      return void sendError(res, e, requestId);
    }
    const { fn, trigger } = found.route;
    try {
      await o.invocations.track(fn, trigger, requestId, () => fn.http!(req, res, found));
    } catch (e) {
      if (sendError(res, e, requestId) >= 500) o.log.error('proxying to the function failed', { fn: fn.name, requestId, error: e });
    }
  };
  return createLimitedServer(o.limits, (req, res) => void handle(req, res));
}
