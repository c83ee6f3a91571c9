// chat-stream: the OpenAI-compatible face of DashScope (chat completions with streaming, embeddings, the
// model list, liveness). A web function: FC runs our own HTTP server (server.ts), the local runtime mounts the
// same handler. Each request gets a signal that fires when its client goes away, and one log line. With
// CLIENT_API_KEYS set, every route but /healthz needs one of those keys (shared/http/client-auth.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Deps } from '../../shared/deps/deps.ts';
import { readJson } from '../../shared/http/body.ts';
import { validate } from '../../shared/validation/validate.ts';
import { clientAuthFor } from '../../shared/http/client-auth.ts';
import { toErrorResponse } from '../../shared/http/error-table.ts';
import { requestIdOf, sendJson } from '../../shared/http/respond.ts';
import { requireRoute } from '../../shared/http/router.ts';
import { Cancellation } from '../../shared/streams/cancellation.ts';
import { clip } from '../../shared/text/clip.ts';
import type { HttpHandler, RouteSpec } from '../../shared/runtime/fc.ts';
import { UpstreamError } from '../../shared/use-cases/chat/chat-errors.ts';
import { createEmbedder } from '../../shared/use-cases/chat/create-embeddings.ts';
import { embedRequestSchema } from '../../shared/use-cases/chat/embed-request.ts';
import { listModels } from '../../shared/use-cases/chat/list-models.ts';
import { handleChat, type CallInfo } from './chat-handler.ts';
import { chatFields, embedFields, finishFields } from './request-log.ts';

export const routes = [
  { method: 'POST', path: '/v1/chat/completions' },
  { method: 'POST', path: '/v1/embeddings' },
  { method: 'GET', path: '/v1/models' },
  { method: 'GET', path: '/healthz' },
] as const satisfies readonly RouteSpec[];

/** Longest request path a log line carries whole. */
const LOGGED_PATH_CHARS = 200;

/** Like sendError, plus DashScope's request id as a header when DashScope was the one that failed. */
function sendFailure(res: ServerResponse, err: unknown, requestId: string): number {
  const { status, body, headers } = toErrorResponse(err, requestId);
  if (res.headersSent) {
    res.destroy();
    return status;
  }
  const dashscopeRequestId = err instanceof UpstreamError ? err.dashscopeRequestId : undefined;
  sendJson(res, status, body, { 'x-request-id': requestId, ...headers, ...(dashscopeRequestId ? { 'x-dashscope-request-id': dashscopeRequestId } : {}) });
  return status;
}

export function createHttpHandler(deps: Deps): HttpHandler {
  const embed = createEmbedder(deps);
  const log = deps.logger.child({ fn: 'chat-stream' });
  const auth = clientAuthFor(deps.config, log);

  const serve = async (req: IncomingMessage, res: ServerResponse, call: CallInfo, path: string): Promise<void> => {
    if (path !== '/healthz') auth(req);
    const found = requireRoute(routes, req.method ?? 'GET', path);
    const json = (body: unknown) => sendJson(res, 200, body, { 'x-request-id': call.requestId });
    switch (found.route.path) {
      case '/healthz':
        return json({ status: 'ok', fn: 'chat-stream' });
      case '/v1/models':
        return json(listModels());
      case '/v1/embeddings': {
        const body = validate(embedRequestSchema, await readJson(req, deps.config.CHAT_MAX_BODY_BYTES));
        call.note.model = body.model;
        const outcome = await embed(body, call.signal.signal);
        Object.assign(call.note, embedFields(outcome));
        return json(outcome.response);
      }
      case '/v1/chat/completions': {
        const outcome = await handleChat(deps, req, res, call);
        if (outcome) Object.assign(call.note, chatFields(outcome));
        return;
      }
    }
  };

  return async (req, res) => {
    const startedAt = performance.now();
    const requestId = requestIdOf(req);
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    // an emitter, not an AbortController: made for every request, listened to by every upstream attempt
    const gone = new Cancellation();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort(new Error('client closed the connection'));
    });
    const call: CallInfo = { requestId, signal: gone, startedAt, note: {} };
    let status: number;
    try {
      await serve(req, res, call, path);
      status = res.statusCode;
    } catch (e) {
      if (gone.aborted) {
        status = 499;
        call.note.end = 'aborted';
      } else {
        status = sendFailure(res, e, requestId);
        const code = (e as { code?: unknown }).code;
        if (typeof code === 'string') call.note.errorCode = code;
        if (status >= 500) call.note.error = e;
      }
    }
    if (gone.aborted && status < 400) status = 499;
    if (path === '/healthz') return;
    // the path is the client's: a long one is logged clipped (a length check only on the usual short path)
    const logged = path.length > LOGGED_PATH_CHARS ? clip(path, LOGGED_PATH_CHARS) : path;
    const line = Object.assign({ requestId, method: req.method, path: logged }, call.note, finishFields(status, startedAt));
    if (status >= 500) log.error('request', line);
    else log.info('request', line);
  };
}
