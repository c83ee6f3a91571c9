// POST /v1/responses: read and validate the body, call the Responses use case with an SSE event sink when
// the client streams, answer the Response as JSON otherwise. Returns what the request log records.
import type { Deps } from '../../shared/deps/deps.ts';
import { readJson } from '../../shared/http/body.ts';
import type { HttpCall } from '../../shared/http/http-function.ts';
import { sendJson } from '../../shared/http/respond.ts';
import type { ChatDeps } from '../../shared/use-cases/chat/chat-deps.ts';
import { createResponse, type ResponseOutcome } from '../../shared/use-cases/responses/create-response.ts';
import { parseResponsesRequest } from '../../shared/use-cases/responses/responses-request.ts';
import { createResponsesSseSink } from './responses-sse-writer.ts';

export async function handleResponses(deps: ChatDeps & Pick<Deps, 'config'>, call: HttpCall): Promise<ResponseOutcome> {
  const { res } = call;
  const body = parseResponsesRequest(await readJson(call.req, deps.config.CHAT_MAX_BODY_BYTES));
  call.note.model = body.model;
  call.note.stream = body.stream === true;
  const headers: Record<string, string> = { 'x-request-id': call.requestId };
  const events = body.stream ? createResponsesSseSink(res, call.requestId, headers) : undefined;
  const outcome = await createResponse(deps, body, { signal: call.gone, startedAt: call.startedAt, principal: call.principal, requestId: call.requestId, ...(events ? { events } : {}) });
  if (outcome.response && !res.headersSent && !call.gone.aborted) {
    if (outcome.chat?.dashscopeRequestId) headers['x-dashscope-request-id'] = outcome.chat.dashscopeRequestId;
    sendJson(res, 200, outcome.response, headers);
  }
  return outcome;
}
