// chat-stream: the OpenAI-compatible face of DashScope (chat completions with streaming, embeddings, models),
// also at DashScope's compatible-mode paths, and DashScope's native embeddings path.
// A web function: FC runs our HTTP server (server.ts, with /healthz); the local runtime mounts this handler.
import type { Deps } from '../../shared/deps/deps.ts';
import { guardOf } from '../../shared/deps/guard-of.ts';
import { readJson } from '../../shared/http/body.ts';
import { clientAuthFor } from '../../shared/http/client-auth.ts';
import { httpFunction } from '../../shared/http/http-function.ts';
import { sendJson } from '../../shared/http/respond.ts';
import type { HttpHandler, RouteSpec } from '../../shared/runtime/fc.ts';
import { createEmbedder } from '../../shared/use-cases/chat/create-embeddings.ts';
import { embedRequestSchema } from '../../shared/use-cases/chat/embed-request.ts';
import { fromNativeEmbedRequest, toNativeEmbedResponse } from '../../shared/use-cases/chat/native-embed-request.ts';
import { listModels } from '../../shared/use-cases/chat/list-models.ts';
import { validate } from '../../shared/validation/validate.ts';
import { handleChat } from './chat-handler.ts';
import { handleResponses } from './responses-handler.ts';
import { chatFields, embedFields } from './request-log.ts';

export const FUNCTION_NAME = 'chat-stream';

export const NATIVE_EMBEDDINGS_PATH = '/api/v1/services/embeddings/text-embedding/text-embedding';

export const routes = [
  { method: 'POST', path: '/v1/chat/completions' },
  { method: 'POST', path: '/v1/embeddings' },
  { method: 'POST', path: '/v1/responses' },
  { method: 'GET', path: '/v1/models' },
  // DashScope's own base URLs on the layer's origin: its compatible mode, and the native embeddings path
  { method: 'POST', path: '/compatible-mode/v1/chat/completions' },
  { method: 'POST', path: '/compatible-mode/v1/embeddings' },
  { method: 'GET', path: '/compatible-mode/v1/models' },
  { method: 'POST', path: NATIVE_EMBEDDINGS_PATH },
] as const satisfies readonly RouteSpec[];

/** DashScope's compatible-mode paths are served as the layer's own `/v1/...` ones. */
const COMPAT_PREFIX = '/compatible-mode';

export function createHttpHandler(deps: Deps): HttpHandler {
  const chatDeps = { ...deps, guard: guardOf(deps) };
  const embed = createEmbedder(chatDeps);
  const log = deps.logger.child({ fn: FUNCTION_NAME });
  return httpFunction<(typeof routes)[number]>(
    {
      routes,
      auth: clientAuthFor(deps, log),
      corsOrigins: deps.config.CORS_ALLOWED_ORIGINS,
      async serve(call) {
        const json = (body: unknown) => sendJson(call.res, 200, body, { 'x-request-id': call.requestId });
        const path = call.route.path.startsWith(COMPAT_PREFIX) ? call.route.path.slice(COMPAT_PREFIX.length) : call.route.path;
        switch (path) {
          case NATIVE_EMBEDDINGS_PATH: {
            const body = fromNativeEmbedRequest(await readJson(call.req, deps.config.CHAT_MAX_BODY_BYTES));
            call.note.model = body.model;
            const outcome = await embed(body, call.gone.abortSignal, { principal: call.principal, requestId: call.requestId });
            Object.assign(call.note, embedFields(outcome));
            return json(toNativeEmbedResponse(outcome.response, call.requestId));
          }
          case '/v1/models':
            return json(listModels());
          case '/v1/embeddings': {
            const body = validate(embedRequestSchema, await readJson(call.req, deps.config.CHAT_MAX_BODY_BYTES));
            call.note.model = body.model;
            const outcome = await embed(body, call.gone.abortSignal, { principal: call.principal, requestId: call.requestId });
            Object.assign(call.note, embedFields(outcome));
            return json(outcome.response);
          }
          case '/v1/responses': {
            const outcome = await handleResponses(chatDeps, call);
            call.note.responseId = outcome.id;
            if (outcome.chat) Object.assign(call.note, chatFields(outcome.chat));
            else if (outcome.errorCode) Object.assign(call.note, { end: 'failed', errorCode: outcome.errorCode });
            return;
          }
          case '/v1/chat/completions': {
            const outcome = await handleChat(chatDeps, call);
            if (outcome) Object.assign(call.note, chatFields(outcome));
            return;
          }
        }
      },
    },
    log,
  );
}
