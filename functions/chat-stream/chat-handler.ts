// POST /v1/chat/completions: read and validate the body, call the chat use case with an SSE sink when the
// client streams, answer JSON otherwise. Returns what the request log records.
import type { IncomingMessage } from 'node:http';
import type { Deps } from '../../shared/deps/deps.ts';
import type { ChatDeps } from '../../shared/use-cases/chat/chat-deps.ts';
import { readJson } from '../../shared/http/body.ts';
import { validate } from '../../shared/validation/validate.ts';
import { InvalidRequestError } from '../../shared/validation/request-errors.ts';
import type { HttpCall } from '../../shared/http/http-function.ts';
import { sendJson } from '../../shared/http/respond.ts';
import { chatRequestSchema, commonChatRequest, conversationIdSchema } from '../../shared/use-cases/chat/chat-request.ts';
import { createChatCompletion, type ChatOutcome } from '../../shared/use-cases/chat/create-chat-completion.ts';
import type { ChatAdjustments } from '../../shared/use-cases/chat/structured-output.ts';
import { putAdjustmentHeaders } from './adjustment-headers.ts';
import { createSseSink } from './sse-writer.ts';

function headerConversationId(req: IncomingMessage): string | undefined {
  const raw = req.headers['x-conversation-id'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === '') return undefined;
  const r = conversationIdSchema.safeParse(value);
  if (!r.success) throw new InvalidRequestError('invalid_conversation_id', `X-Conversation-Id ${r.error.issues[0]?.message ?? 'is invalid'}`, 'X-Conversation-Id');
  return r.data;
}

export async function handleChat(deps: ChatDeps & Pick<Deps, 'config'>, call: HttpCall): Promise<ChatOutcome | undefined> {
  const { req, res } = call;
  const fromHeader = headerConversationId(req);
  const raw = await readJson(req, deps.config.CHAT_MAX_BODY_BYTES);
  const body = commonChatRequest(raw) ?? validate(chatRequestSchema, raw);
  call.note.model = body.model;
  call.note.stream = body.stream === true;
  if (fromHeader && body.conversation_id && fromHeader !== body.conversation_id) {
    throw new InvalidRequestError('conflicting_conversation_id', 'conversation_id in the body and X-Conversation-Id differ; send one', 'conversation_id');
  }
  const conversationId = body.conversation_id ?? fromHeader;
  const headers: Record<string, string> = { 'x-request-id': call.requestId };
  if (conversationId) headers['x-conversation-id'] = conversationId;
  const sink = body.stream ? createSseSink(res, call.requestId, headers) : undefined;
  try {
    // the sink builds its head from `headers` when it opens, after the adjustments are known
    const onAdjusted = (a: ChatAdjustments) => putAdjustmentHeaders(headers, a);
    const outcome = await createChatCompletion(deps, body, { signal: call.gone, startedAt: call.startedAt, conversationId, sink, principal: call.principal, requestId: call.requestId, onAdjusted });
    if (outcome.completion && !res.headersSent && !call.gone.aborted) {
      if (outcome.dashscopeRequestId) headers['x-dashscope-request-id'] = outcome.dashscopeRequestId;
      sendJson(res, 200, outcome.completion, headers);
    }
    return outcome;
  } catch (e) {
    // Once the stream is open the error can only travel as an event; the stream still ends properly.
    if (!sink?.opened) throw e;
    sink.fail(e);
    call.note.end = 'failed';
    call.note.errorCode = String((e as { code?: unknown }).code ?? 'internal_error');
    return undefined;
  }
}
