// The one wrapper every HTTP function's handler goes through: request id, the client's key, the route, a
// cancellation when the client goes away, the error answer from the error table, one log line per request;
// CORS headers for allowed browser origins and OPTIONS answered before the key check. Errors on DashScope's
// native paths (`/api/v1/...`) are answered in DashScope's shape, since the clients of those paths parse that.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/logger.ts';
import { roundMs, type RequestLogLine, type RequestNote } from '../log/request-log.ts';
import type { HttpHandler, RouteSpec } from '../runtime/fc.ts';
import { Cancellation } from '../streams/cancellation.ts';
import { clip } from '../text/clip.ts';
import type { Principal } from '../domain/tenant.ts';
import type { ClientAuth } from './client-auth.ts';
import { requestIdOf, sendError } from './respond.ts';
import { errorShapeOf } from './dashscope-error.ts';
import { answerOptions, applyCors } from './cors.ts';
import { matchRoute, requireRoute } from './router.ts';

/** One request as a route sees it. */
export interface HttpCall<R extends RouteSpec = RouteSpec> {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  /** The request path without its query string, as the client sent it. */
  readonly path: string;
  readonly route: R;
  readonly params: Record<string, string>;
  /** Fires when the client goes away before its answer is complete: every upstream call is cancelled. */
  readonly gone: Cancellation;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** What the route adds to the request's log line. */
  readonly note: RequestNote;
  /** Who the request acts for (the tenant of the key it presented). */
  readonly principal: Principal;
}

export interface HttpFunctionSpec<R extends RouteSpec> {
  routes: readonly R[];
  /** Checked once the route is known, before anything else; throws the 401. */
  auth: ClientAuth;
  /** Origins browsers may call from (CORS_ALLOWED_ORIGINS); empty: no CORS headers. */
  corsOrigins: readonly string[];
  /** Answers the request; throws what the error table answers. */
  serve(call: HttpCall<R>): Promise<void>;
}

/** Longest request path a log line carries whole. */
const LOGGED_PATH_CHARS = 200;

export function httpFunction<R extends RouteSpec>(spec: HttpFunctionSpec<R>, log: Logger): HttpHandler {
  return async (req, res, matched) => {
    const startedAt = performance.now();
    const requestId = requestIdOf(req);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    // an emitter, not an AbortController: made for every request, listened to by every upstream attempt
    const gone = new Cancellation();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort(new Error('client closed the connection'));
    });
    const note: RequestNote = {};
    let status: number;
    try {
      // a route that does not exist is a 404 with a key or without; one that does needs the key
      const match = matched ?? requireRoute(spec.routes, req.method ?? 'GET', path);
      if (req.method === 'OPTIONS') {
        const methods = spec.routes.filter((r) => matchRoute([r], r.method, path).kind === 'match').map((r) => r.method);
        answerOptions(req, res, spec.corsOrigins, methods);
        status = 204;
      } else {
        applyCors(req, res, spec.corsOrigins);
        const principal = await spec.auth(req);
        note.tenant = principal.tenant;
        await spec.serve({ req, res, requestId, path, route: match.route as R, params: match.params, gone, startedAt, note, principal });
        status = res.statusCode;
      }
    } catch (e) {
      if (gone.aborted) {
        status = 499;
        note.end = 'aborted';
      } else {
        status = sendError(res, e, requestId, errorShapeOf(path));
        const code = (e as { code?: unknown }).code;
        if (typeof code === 'string') note.errorCode = code;
        if (status >= 500) note.error = e;
      }
    }
    if (gone.aborted && status < 400) status = 499;
    // the path is the client's: a long one is logged clipped (a length check only on the usual short path)
    const logged = path.length > LOGGED_PATH_CHARS ? clip(path, LOGGED_PATH_CHARS) : path;
    const line: RequestLogLine = Object.assign({ requestId, method: req.method, path: logged, status, latencyMs: 0 }, note);
    line.latencyMs = roundMs(performance.now() - startedAt);
    if (status >= 500) log.error('request', line);
    else log.info('request', line);
  };
}

/** The query string of a request, parsed (only the routes that take one pay for it). */
export function queryOf(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
}
