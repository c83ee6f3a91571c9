// The SSE chunks of a compatible-mode chat stream, shaped exactly like DashScope's recorded ones (key sets,
// nulls, order): role, reasoning deltas, content or tool-call deltas, finish chunk, usage chunk.
import type { ChoiceAnswer } from './chat-answer.ts';

const s = JSON.stringify;

export interface ChunkWriter {
  /** Every `data:` payload of one choice, in order (without the usage chunk). */
  choiceChunks(c: ChoiceAnswer, thinking: boolean): Generator<string>;
  usageChunk(usage: Record<string, unknown>): string;
}

export function chunkWriter(id: string, created: number, model: string): ChunkWriter {
  // the shared tail of every chunk, built once per stream: each chunk costs one small stringify
  const tail = `,"object":"chat.completion.chunk","usage":null,"created":${created},"system_fingerprint":null,"model":${s(model)},"id":${s(id)}}`;
  const wrap = (choice: string) => `{"choices":[${choice}]${tail}`;
  const open = (i: number) => `,"finish_reason":null,"index":${i},"logprobs":null}`;

  function* choiceChunks(c: ChoiceAnswer, thinking: boolean): Generator<string> {
    const i = c.index;
    const callChunks = (t: { id: string; name: string; arguments: string }, k: number, withRole: boolean): string[] => [
      wrap(`{"delta":{"content":null,"tool_calls":[{"index":${k},"id":${s(t.id)},"type":"function","function":{"name":${s(t.name)},"arguments":""}}]${withRole ? ',"role":"assistant"' : ''}}${open(i)}`),
      ...splitArgs(t.arguments).map((part) => wrap(`{"delta":{"content":null,"tool_calls":[{"index":${k},"id":"","type":"function","function":{"arguments":${s(part)}}}]}${open(i)}`)),
    ];
    // Recorded: no separate role chunk before a plain tool call; its first delta carries the role.
    if (!c.toolCalls || thinking) {
      yield wrap(
        thinking
          ? `{"delta":{"content":null,"role":"assistant","reasoning_content":""},"index":${i},"logprobs":null,"finish_reason":null}`
          : `{"delta":{"content":"","role":"assistant"},"index":${i},"logprobs":null,"finish_reason":null}`,
      );
    }
    for (const r of c.reasoning ?? []) yield wrap(`{"finish_reason":null,"logprobs":null,"delta":{"content":null,"reasoning_content":${s(r)}},"index":${i}}`);
    if (c.toolCalls) {
      // several calls one after the other, each told apart by its index (parallel tool calls)
      for (const [k, t] of c.toolCalls.entries()) yield* callChunks(t, k, k === 0 && !thinking);
      yield wrap(`{"delta":{"tool_calls":[{"function":{"arguments":""},"index":${c.toolCalls.length - 1},"id":"","type":"function"}]},"index":${i}}`);
      yield wrap(`{"finish_reason":"tool_calls","delta":{},"index":${i},"logprobs":null}`);
      return;
    }
    const extra = thinking ? ',"reasoning_content":null' : '';
    for (const [k, piece] of c.content.entries()) {
      const lp = c.logprobs?.[k];
      yield wrap(`{"delta":{"content":${s(piece)}${extra}},"finish_reason":null,"index":${i},"logprobs":${lp ? s({ content: [lp] }) : 'null'}}`);
    }
    yield wrap(`{"finish_reason":${s(c.finishReason)},"delta":{"content":""${extra}},"index":${i},"logprobs":null}`);
  }

  return {
    choiceChunks,
    usageChunk: (usage) => `{"choices":[],"object":"chat.completion.chunk","usage":${s(usage)},"created":${created},"system_fingerprint":null,"model":${s(model)},"id":${s(id)}}`,
  };
}

/** Argument fragments as DashScope streams them: a few pieces cut at arbitrary points. */
function splitArgs(args: string): string[] {
  if (args.length <= 16) return [args];
  const cut = Math.ceil(args.length * 0.8);
  return [args.slice(0, cut), args.slice(cut)];
}
