// The one log line per request: ids, model, status, latency, time to first token, token counts. Never the
// prompt or the answer. Token counts sit under `usage` with plain names, because the logger redacts any key
// that contains "token".
import type { ChatOutcome } from '../../shared/use-cases/chat/create-chat-completion.ts';
import type { EmbedOutcome } from '../../shared/use-cases/chat/create-embeddings.ts';

const round = (ms: number) => Math.round(ms * 10) / 10;

export function chatFields(o: ChatOutcome): Record<string, unknown> {
  const u = o.usage;
  return {
    model: o.model,
    stream: o.stream,
    thinking: o.thinking,
    end: o.end,
    ...(o.dashscopeRequestId ? { dashscopeRequestId: o.dashscopeRequestId } : {}),
    ...(o.ttftMs !== undefined ? { ttftMs: round(o.ttftMs) } : {}),
    ...(u
      ? {
          usage: {
            input: u.prompt_tokens,
            output: u.completion_tokens,
            total: u.total_tokens,
            ...(u.completion_tokens_details?.reasoning_tokens != null ? { reasoning: u.completion_tokens_details.reasoning_tokens } : {}),
            ...(u.prompt_tokens_details?.cached_tokens != null ? { cached: u.prompt_tokens_details.cached_tokens } : {}),
          },
        }
      : {}),
    ...(o.conversationId ? { conversationId: o.conversationId, historyTurns: o.historyTurns } : {}),
    ...(o.errorCode ? { errorCode: o.errorCode } : {}),
  };
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
