// The Responses API on top of chat completions: the request becomes a chat request (instructions as the
// system message, items as messages, a stored response's history in front), served by the chat use case
// with its guards, ledger and upstream, and its answer becomes a Response (or the Responses event stream).
import type { Principal } from '../../domain/tenant.ts';
import type { CompletionMessage } from '../../ports/chat-upstream.ts';
import type { CallerSignal } from '../../streams/cancellation.ts';
import type { ChatDeps } from '../chat/chat-deps.ts';
import type { ChatMessage, ChatRequest } from '../chat/chat-request.ts';
import { createChatCompletion, type ChatOutcome } from '../chat/create-chat-completion.ts';
import { conversationKey } from '../chat/conversation-history.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { ResponseNotFoundError } from './response-errors.ts';
import { isResponseId } from './response-ids.ts';
import { toChatMessages } from './response-input.ts';
import { outputItems, responseShell, statusOf, toResponseUsage, type ResponseObject } from './response-object.ts';
import { ResponseStreamTranslator, type ResponseEventSink } from './response-stream.ts';
import type { ResponsesRequest } from './responses-request.ts';

export interface ResponseContext {
  /** Fires when the client goes away: the upstream call is cancelled. */
  signal: CallerSignal;
  startedAt: number;
  principal: Principal;
  requestId: string;
  /** Where the events go; required when the request asks for `stream: true`. */
  events?: ResponseEventSink;
}

export interface ResponseOutcome {
  id: string;
  /** What the chat use case reported; absent when a stream already open failed (the client got response.failed). */
  chat?: ChatOutcome;
  /** The code of the error that ended an open stream. */
  errorCode?: string;
  /** The response, when not streamed. */
  response?: ResponseObject;
}

/** Stored responses live in the conversation store under the caller's tenant, apart from named conversations (ids hold no `/`). */
const historyId = (responseId: string) => `responses/${responseId}`;

export async function createResponse(deps: ChatDeps, req: ResponsesRequest, ctx: ResponseContext): Promise<ResponseOutcome> {
  const tenant = ctx.principal.tenant;
  const previous = req.previous_response_id ?? undefined;
  if (previous !== undefined && !(isResponseId(previous) && (await deps.conversations.get(conversationKey({ tenant, id: historyId(previous) }))))) {
    throw new ResponseNotFoundError('response', previous, 'previous_response_id');
  }
  const lookup = async (responseId: string): Promise<CompletionMessage | undefined> => {
    const stored = await deps.conversations.get(conversationKey({ tenant, id: historyId(responseId) }));
    const last = stored?.turns.at(-1)?.messages.at(-1);
    return last?.role === 'assistant' ? (last as CompletionMessage) : undefined;
  };
  const messages: ChatMessage[] = await toChatMessages(req.input, lookup);
  if (req.instructions) messages.unshift({ role: 'system', content: req.instructions });

  const id = deps.ids.next('resp');
  const store = req.store !== false;
  const shell = responseShell(id, Math.floor(deps.clock.now().getTime() / 1000), req, req.model);
  const translator = req.stream ? new ResponseStreamTranslator(requireSink(ctx.events), shell) : undefined;
  let chat: ChatOutcome;
  try {
    chat = await createChatCompletion(deps, toChatRequest(req, messages), {
      signal: ctx.signal,
      startedAt: ctx.startedAt,
      principal: ctx.principal,
      requestId: ctx.requestId,
      ...(translator ? { sink: translator } : {}),
      history: { ...(previous ? { readFrom: historyId(previous) } : {}), ...(store ? { saveAs: historyId(id) } : {}) },
    });
  } catch (e) {
    // once the stream is open the error can only travel as an event
    if (!translator?.isOpen) throw inResponsesTerms(e);
    translator.fail(e);
    const code = (e as { code?: unknown }).code;
    return { id, errorCode: typeof code === 'string' ? code : 'internal_error' };
  }
  if (translator) {
    // the chat use case saved the response before it reported the answer complete: a follow-up finds it
    if (translator.finished) translator.complete();
    return { id, chat };
  }
  const choice = chat.completion?.choices[0];
  if (!choice) return { id, chat };
  const state = statusOf(choice.finish_reason);
  const response: ResponseObject = {
    ...shell,
    ...state,
    output: outputItems(id, choice.message, state.status === 'incomplete' ? 'incomplete' : 'completed'),
    usage: chat.usage ? toResponseUsage(chat.usage) : null,
  };
  return { id, chat, response };
}

/** The chat fields a refusal of the chat rules names, as the Responses request calls them. */
const FIELD_NAMES: Record<string, string> = {
  messages: 'input',
  response_format: 'text.format',
  reasoning_effort: 'reasoning.effort',
  max_tokens: 'max_output_tokens',
};

/** A refusal naming a chat field, renamed to the field the client sent; anything else as it is. */
function inResponsesTerms(e: unknown): unknown {
  if (!(e instanceof InvalidRequestError) || !e.param || !(e.param in FIELD_NAMES)) return e;
  const Refusal = e.constructor as typeof InvalidRequestError;
  const named = FIELD_NAMES[e.param]!;
  return new Refusal(e.code, e.message.replaceAll(e.param, named), named, { cause: e });
}

function requireSink(events: ResponseEventSink | undefined): ResponseEventSink {
  if (!events) throw new Error('a streamed response needs an event sink');
  return events;
}

/** The chat request that serves a Responses request: the same settings under chat's names. */
export function toChatRequest(req: ResponsesRequest, messages: ChatMessage[]): ChatRequest {
  const chat: ChatRequest = { model: req.model, messages };
  if (req.stream) {
    chat.stream = true;
    // the usage chunk reaches the stream's translator: response.completed carries it
    chat.stream_options = { include_usage: true };
  }
  if (req.temperature != null) chat.temperature = req.temperature;
  if (req.top_p != null) chat.top_p = req.top_p;
  if (req.max_output_tokens != null) chat.max_tokens = req.max_output_tokens;
  if (req.tools?.length) {
    chat.tools = req.tools.map((t) => ({
      type: 'function' as const,
      function: { name: t.name, ...(t.description != null ? { description: t.description } : {}), ...(t.parameters != null ? { parameters: t.parameters } : {}) },
    }));
  }
  const choice = req.tool_choice;
  if (choice != null) chat.tool_choice = typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
  if (req.parallel_tool_calls != null) chat.parallel_tool_calls = req.parallel_tool_calls;
  const format = req.text?.format;
  if (format) {
    chat.response_format =
      format.type === 'json_schema'
        ? { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, ...(format.description != null ? { description: format.description } : {}), ...(format.strict != null ? { strict: format.strict } : {}) } }
        : { type: format.type };
  }
  if (req.reasoning?.effort != null) chat.reasoning_effort = req.reasoning.effort;
  if (req.enable_thinking != null) chat.enable_thinking = req.enable_thinking;
  if (req.thinking_budget != null) chat.thinking_budget = req.thinking_budget;
  if (req.enable_search != null) chat.enable_search = req.enable_search;
  return chat;
}
