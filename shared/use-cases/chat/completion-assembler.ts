// Builds one ordinary chat.completion out of a stream of chunks, for a non-streamed answer from a model that
// thinks only when streamed, and to know what the assistant said when a conversation must be saved.
import type { ChatChunk, ChatCompletion, ChatUsage, CompletionMessage, CompletionToolCall } from '../../ports/chat-upstream.ts';

interface ChoiceState {
  content: string;
  reasoning: string;
  calls: Map<number, CompletionToolCall>;
  finish: string | null;
  /** The token log probabilities of each chunk, in order, when DashScope sent them. */
  logprobs: unknown[] | undefined;
}

export class CompletionAssembler {
  private id = '';
  private created = 0;
  private model = '';
  private readonly choices = new Map<number, ChoiceState>();
  usage: ChatUsage | undefined;

  /** Takes one chunk as it came from upstream (before any repair for the client). */
  add(chunk: ChatChunk): void {
    this.id ||= chunk.id;
    this.created ||= chunk.created;
    this.model ||= chunk.model;
    if (chunk.usage) this.usage = chunk.usage;
    for (const c of chunk.choices) {
      let s = this.choices.get(c.index);
      if (!s) this.choices.set(c.index, (s = { content: '', reasoning: '', calls: new Map(), finish: null, logprobs: undefined }));
      const d = c.delta;
      if (d?.content != null) s.content += d.content;
      if (d?.reasoning_content) s.reasoning += d.reasoning_content;
      for (const t of d?.tool_calls ?? []) {
        let call = s.calls.get(t.index);
        if (!call) s.calls.set(t.index, (call = { id: '', type: 'function', function: { name: '', arguments: '' } }));
        if (t.id && !call.id) call.id = t.id;
        if (t.function?.name && !call.function.name) call.function.name = t.function.name;
        if (t.function?.arguments) call.function.arguments += t.function.arguments;
      }
      if (c.finish_reason) s.finish = c.finish_reason;
      const lp = (c.logprobs as { content?: unknown } | null | undefined)?.content;
      if (Array.isArray(lp)) (s.logprobs ??= []).push(...(lp as unknown[]));
    }
  }

  /** True once every choice seen has a finish reason. */
  get finished(): boolean {
    return this.choices.size > 0 && [...this.choices.values()].every((s) => s.finish !== null);
  }

  message(index = 0): CompletionMessage | undefined {
    const s = this.choices.get(index);
    if (!s) return undefined;
    const calls = [...s.calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
    return {
      role: 'assistant',
      // OpenAI's shape: null beside tool calls (DashScope may send an empty string)
      content: calls.length > 0 && s.content === '' ? null : s.content,
      ...(s.reasoning ? { reasoning_content: s.reasoning } : {}),
      ...(calls.length ? { tool_calls: calls } : {}),
    };
  }

  completion(): ChatCompletion {
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices: [...this.choices.keys()]
        .sort((a, b) => a - b)
        .map((index) => {
          const s = this.choices.get(index)!;
          return { index, message: this.message(index)!, finish_reason: s.finish, logprobs: s.logprobs ? { content: s.logprobs } : null };
        }),
      usage: this.usage ?? null,
      system_fingerprint: null,
    };
  }
}
