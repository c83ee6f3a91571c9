// The one log line per request: ids, model, status, latency, time to first token, token counts. Never the
// prompt or the answer. Token counts sit under `usage` with plain names, because the logger redacts any key
// that contains "token".
import type { ChatOutcome } from '../../shared/use-cases/chat/create-chat-completion.ts';
import type { EmbedOutcome } from '../../shared/use-cases/chat/create-embeddings.ts';

const round = (ms: number) => Math.round(ms * 10) / 10;

export function chatFields(o: ChatOutcome): Record<string, unknown> {
  // assignments, not conditional spreads: this runs once per request
  const f: Record<string, unknown> = { model: o.model, stream: o.stream, thinking: o.thinking, end: o.end };
  if (o.dashscopeRequestId) f.dashscopeRequestId = o.dashscopeRequestId;
  if (o.ttftMs !== undefined) f.ttftMs = round(o.ttftMs);
  const u = o.usage;
  if (u) {
    const usage: Record<string, unknown> = { input: u.prompt_tokens, output: u.completion_tokens, total: u.total_tokens };
    if (u.completion_tokens_details?.reasoning_tokens != null) usage.reasoning = u.completion_tokens_details.reasoning_tokens;
    if (u.prompt_tokens_details?.cached_tokens != null) usage.cached = u.prompt_tokens_details.cached_tokens;
    f.usage = usage;
  }
  if (o.conversationId) {
    f.conversationId = o.conversationId;
    f.historyTurns = o.historyTurns;
  }
  if (o.errorCode) f.errorCode = o.errorCode;
  return f;
}

export function embedFields(o: EmbedOutcome): Record<string, unknown> {
  return {
    model: o.response.model,
    inputs: o.response.data.length,
    batches: o.batches,
    dashscopeRequestIds: o.dashscopeRequestIds.slice(0, 10),
    usage: { input: o.response.usage.prompt_tokens, total: o.response.usage.total_tokens },
  };
}

export function finishFields(status: number, startedAt: number): Record<string, unknown> {
  return { status, latencyMs: round(performance.now() - startedAt) };
}
