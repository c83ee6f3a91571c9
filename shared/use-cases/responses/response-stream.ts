// A streamed response: the chat relay's chunks turned into the Responses API's event sequence
// (response.created … output items with their deltas … response.completed), numbered by sequence_number.
import type { ChatChunk, ChatUsage, RelayedChunk } from '../../ports/chat-upstream.ts';
import type { ChatStreamSink } from '../chat/stream-relay.ts';
import { itemIdsOf, type ItemIds } from './response-ids.ts';
import { statusOf, toResponseUsage, type FunctionCallItem, type OutputItem, type ResponseObject } from './response-object.ts';

/** One event of the stream: its type, its number, its fields. */
export type ResponseEvent = { type: string; sequence_number: number } & Record<string, unknown>;

/** Where the events go: the SSE writer of the HTTP entry point. */
export interface ResponseEventSink {
  /** Sends the response head; called once, before the first event. */
  open(info: { dashscopeRequestId?: string }): void;
  /** Adds an event to what the next flush sends. */
  event(e: ResponseEvent): void;
  /** Sends the events added since the last flush; a returned promise means the client is slow. */
  flush(): void | Promise<void>;
  /** Sends what is pending and ends the stream. */
  end(): void;
  /** Ends the stream with `response.failed` (numbered `sequence`), its error in the public error's words. */
  fail(error: unknown, sequence: number, response: ResponseObject): void;
}

interface OpenText {
  item: OutputItem;
  index: number;
  text: string;
}

export class ResponseStreamTranslator implements ChatStreamSink {
  private seq = 0;
  private readonly ids: ItemIds;
  private readonly output: OutputItem[] = [];
  private reasoning: OpenText | undefined;
  private message: OpenText | undefined;
  private readonly calls = new Map<number, { item: FunctionCallItem; index: number }>();
  private usage: ChatUsage | undefined;
  private finishReason: string | null = null;
  private opened = false;
  /** The response head and response.created went out. */
  get isOpen(): boolean {
    return this.opened;
  }
  /** The chat use case reported the answer complete (and saved); `complete()` sends the last events. */
  finished = false;
  private ended = false;

  constructor(
    private readonly out: ResponseEventSink,
    private readonly shell: ResponseObject,
  ) {
    this.ids = itemIdsOf(shell.id);
  }

  private emit(type: string, fields: Record<string, unknown>): void {
    this.out.event({ type, sequence_number: this.seq++, ...fields });
  }

  open(info: { dashscopeRequestId?: string }): void {
    if (this.opened) return;
    this.opened = true;
    this.out.open(info);
    this.emit('response.created', { response: this.snapshot() });
    this.emit('response.in_progress', { response: this.snapshot() });
  }

  forward(chunk: RelayedChunk): void {
    this.add(chunk.chunk);
  }

  send(chunk: ChatChunk): void {
    this.add(chunk);
  }

  flush(): void | Promise<void> {
    return this.out.flush();
  }

  done(): void {
    this.finished = true;
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.open({});
    this.out.fail(error, this.seq++, { ...this.snapshot(), status: 'failed' });
  }

  /** Closes what is open and ends the stream with response.completed (or response.incomplete). */
  complete(): ResponseObject {
    this.closeReasoning();
    this.closeMessage();
    for (const c of [...this.calls.values()].sort((a, b) => a.index - b.index)) this.closeCall(c);
    const final: ResponseObject = { ...this.snapshot(), ...statusOf(this.finishReason), usage: this.usage ? toResponseUsage(this.usage) : null };
    this.emit(final.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final });
    this.ended = true;
    this.out.end();
    return final;
  }

  private snapshot(): ResponseObject {
    return { ...this.shell, output: [...this.output] };
  }

  private add(chunk: ChatChunk): void {
    if (chunk.usage) this.usage = chunk.usage;
    // the Responses API has one answer: the first choice (n is not one of its parameters)
    const c = chunk.choices.find((x) => x.index === 0);
    if (!c) return;
    const d = c.delta;
    if (d?.reasoning_content) this.reasoningDelta(d.reasoning_content);
    if (d?.content) this.textDelta(d.content);
    for (const t of d?.tool_calls ?? []) this.callDelta(t.index, t.id, t.function?.name, t.function?.arguments);
    if (c.finish_reason) this.finishReason = c.finish_reason;
  }

  private addItem(item: OutputItem): number {
    const index = this.output.length;
    this.output.push(item);
    this.emit('response.output_item.added', { output_index: index, item: structuredClone(item) });
    return index;
  }

  private reasoningDelta(delta: string): void {
    if (!this.reasoning) {
      const item: OutputItem = { id: this.ids.reasoning, type: 'reasoning', summary: [] };
      this.reasoning = { item, index: this.addItem(item), text: '' };
      this.emit('response.reasoning_summary_part.added', { item_id: item.id, output_index: this.reasoning.index, summary_index: 0, part: { type: 'summary_text', text: '' } });
    }
    this.reasoning.text += delta;
    this.emit('response.reasoning_summary_text.delta', { item_id: this.reasoning.item.id, output_index: this.reasoning.index, summary_index: 0, delta });
  }

  private closeReasoning(): void {
    const r = this.reasoning;
    if (!r || r.item.type !== 'reasoning') return;
    this.reasoning = undefined;
    const part = { type: 'summary_text' as const, text: r.text };
    this.emit('response.reasoning_summary_text.done', { item_id: r.item.id, output_index: r.index, summary_index: 0, text: r.text });
    this.emit('response.reasoning_summary_part.done', { item_id: r.item.id, output_index: r.index, summary_index: 0, part });
    r.item.summary = [part];
    this.emit('response.output_item.done', { output_index: r.index, item: r.item });
  }

  private textDelta(delta: string): void {
    this.closeReasoning();
    if (!this.message) {
      const item: OutputItem = { id: this.ids.message, type: 'message', role: 'assistant', status: 'in_progress', content: [] };
      this.message = { item, index: this.addItem(item), text: '' };
      this.emit('response.content_part.added', { item_id: item.id, output_index: this.message.index, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
    }
    this.message.text += delta;
    this.emit('response.output_text.delta', { item_id: this.message.item.id, output_index: this.message.index, content_index: 0, delta, logprobs: [] });
  }

  private closeMessage(): void {
    const m = this.message;
    if (!m || m.item.type !== 'message') return;
    this.message = undefined;
    const part = { type: 'output_text' as const, text: m.text, annotations: [], logprobs: [] };
    this.emit('response.output_text.done', { item_id: m.item.id, output_index: m.index, content_index: 0, text: m.text, logprobs: [] });
    this.emit('response.content_part.done', { item_id: m.item.id, output_index: m.index, content_index: 0, part });
    m.item.content = [part];
    m.item.status = this.finishReason === 'length' ? 'incomplete' : 'completed';
    this.emit('response.output_item.done', { output_index: m.index, item: m.item });
  }

  private callDelta(k: number, callId: string | null | undefined, name: string | null | undefined, args: string | null | undefined): void {
    let c = this.calls.get(k);
    if (!c) {
      this.closeReasoning();
      this.closeMessage();
      const item: FunctionCallItem = { id: this.ids.functionCall(this.calls.size), type: 'function_call', call_id: callId ?? '', name: name ?? '', arguments: '', status: 'in_progress' };
      c = { item, index: this.addItem(item) };
      this.calls.set(k, c);
    }
    if (args) {
      c.item.arguments += args;
      this.emit('response.function_call_arguments.delta', { item_id: c.item.id, output_index: c.index, delta: args });
    }
  }

  private closeCall(c: { item: FunctionCallItem; index: number }): void {
    c.item.status = 'completed';
    this.emit('response.function_call_arguments.done', { item_id: c.item.id, output_index: c.index, name: c.item.name, arguments: c.item.arguments });
    this.emit('response.output_item.done', { output_index: c.index, item: c.item });
  }
}
