// What chat-stream adds to a request's log line (shared/log/request-log.ts): model, stream, time to first
// token, token counts, conversation. Never the prompt or the answer.
import { roundMs, type RequestNote } from '../../shared/log/request-log.ts';
import type { ChatOutcome } from '../../shared/use-cases/chat/create-chat-completion.ts';
import type { EmbedOutcome } from '../../shared/use-cases/chat/create-embeddings.ts';

export function chatFields(o: ChatOutcome): RequestNote {
  // assignments, not conditional spreads: this runs once per request
  const f: RequestNote = { model: o.model, stream: o.stream, thinking: o.thinking, end: o.end };
  if (o.dashscopeRequestId) f.dashscopeRequestId = o.dashscopeRequestId;
  if (o.ttftMs !== undefined) f.ttftMs = roundMs(o.ttftMs);
  const u = o.usage;
  if (u) {
    const usage: NonNullable<RequestNote['usage']> = { input: u.prompt_tokens, output: u.completion_tokens, total: u.total_tokens };
    if (u.completion_tokens_details?.reasoning_tokens != null) usage.reasoning = u.completion_tokens_details.reasoning_tokens;
    if (u.prompt_tokens_details?.cached_tokens != null) usage.cached = u.prompt_tokens_details.cached_tokens;
    f.usage = usage;
  }
  if (o.conversationId) {
    f.conversationId = o.conversationId;
    f.historyTurns = o.historyTurns;
  }
  if (o.errorCode) f.errorCode = o.errorCode;
  if (o.adjustments) f.adjustments = o.adjustments;
  return f;
}

export function embedFields(o: EmbedOutcome): RequestNote {
  return {
    model: o.response.model,
    inputs: o.response.data.length,
    batches: o.batches,
    dashscopeRequestIds: o.dashscopeRequestIds.slice(0, 10),
    usage: { input: o.response.usage.prompt_tokens, total: o.response.usage.total_tokens },
  };
}
