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
    // Recorded: no separate role chunk before a plain tool call; its first delta carries the role.
    if (!c.toolCall || thinking) {
      yield wrap(
        thinking
          ? `{"delta":{"content":null,"role":"assistant","reasoning_content":""},"index":${i},"logprobs":null,"finish_reason":null}`
          : `{"delta":{"content":"","role":"assistant"},"index":${i},"logprobs":null,"finish_reason":null}`,
      );
    }
    for (const r of c.reasoning ?? []) yield wrap(`{"finish_reason":null,"logprobs":null,"delta":{"content":null,"reasoning_content":${s(r)}},"index":${i}}`);
    if (c.toolCall) {
      const t = c.toolCall;
      const roleKey = thinking ? '' : ',"role":"assistant"';
      yield wrap(`{"delta":{"content":null,"tool_calls":[{"index":0,"id":${s(t.id)},"type":"function","function":{"name":${s(t.name)},"arguments":""}}]${roleKey}}${open(i)}`);
      for (const part of splitArgs(t.arguments)) {
        yield wrap(`{"delta":{"content":null,"tool_calls":[{"index":0,"id":"","type":"function","function":{"arguments":${s(part)}}}]}${open(i)}`);
      }
      yield wrap(`{"delta":{"tool_calls":[{"function":{"arguments":""},"index":0,"id":"","type":"function"}]},"index":${i}}`);
      yield wrap(`{"finish_reason":"tool_calls","delta":{},"index":${i},"logprobs":null}`);
      return;
    }
    const extra = thinking ? ',"reasoning_content":null' : '';
    for (const piece of c.content) yield wrap(`{"delta":{"content":${s(piece)}${extra}}${open(i)}`);
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
