// chat-stream: the OpenAI-compatible face of DashScope (chat completions with streaming, embeddings, speech, models).
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
import { listModels } from '../../shared/use-cases/chat/list-models.ts';
import { validate } from '../../shared/validation/validate.ts';
import { handleChat } from './chat-handler.ts';
import { handleSpeech } from './speech-handler.ts';
import { speechOf } from '../../shared/deps/speech-of.ts';
import { chatFields, embedFields } from './request-log.ts';

export const FUNCTION_NAME = 'chat-stream';

export const routes = [
  { method: 'POST', path: '/v1/chat/completions' },
  { method: 'POST', path: '/v1/embeddings' },
  { method: 'GET', path: '/v1/models' },
  { method: 'POST', path: '/v1/audio/speech' },
] as const satisfies readonly RouteSpec[];

export function createHttpHandler(deps: Deps): HttpHandler {
  const chatDeps = { ...deps, guard: guardOf(deps) };
  const embed = createEmbedder(chatDeps);
  const speech = speechOf(deps);
  const speechDeps = speech ? { ...chatDeps, speech } : undefined;
  const log = deps.logger.child({ fn: FUNCTION_NAME });
  return httpFunction<(typeof routes)[number]>(
    {
      routes,
      auth: clientAuthFor(deps, log),
      corsOrigins: deps.config.CORS_ALLOWED_ORIGINS,
      async serve(call) {
        const json = (body: unknown) => sendJson(call.res, 200, body, { 'x-request-id': call.requestId });
        switch (call.route.path) {
          case '/v1/models':
            return json(listModels());
          case '/v1/embeddings': {
            const body = validate(embedRequestSchema, await readJson(call.req, deps.config.CHAT_MAX_BODY_BYTES));
            call.note.model = body.model;
            const outcome = await embed(body, call.gone.abortSignal, { principal: call.principal, requestId: call.requestId });
            Object.assign(call.note, embedFields(outcome));
            return json(outcome.response);
          }
          case '/v1/audio/speech':
            if (!speechDeps) throw new Error('no speech upstream is configured');
            return handleSpeech(speechDeps, call);
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
