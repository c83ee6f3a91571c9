// The streaming hot path: the chunks of each upstream read go to the sink and out in one flush as the read
// arrives (tool-call deltas repaired, the usage chunk dropped unless asked for). Nothing is logged per chunk.
import type { ChatUpstream, RelayedChunk } from '../../ports/chat-upstream.ts';
import type { CallerSignal } from '../../streams/cancellation.ts';
import { DashScopeStreamError } from '../../dashscope/errors.ts';
import type { ChatChunk, ChatUsage } from '../../ports/chat-upstream.ts';
import { completeChoices, lacksFinishReason, withoutNullUsage } from './answer-shape.ts';
import { CompletionAssembler } from './completion-assembler.ts';
import type { UpstreamChatBody } from './chat-upstream-body.ts';
import { createToolCallFixer } from './tool-call-deltas.ts';
import { isAbort, toUpstreamError } from './upstream-error.ts';


/** Where the relayed chunks go: the SSE writer of the HTTP entry point. */
export interface ChatStreamSink {
  /** Sends the response head; called once, right before the first chunk. */
  open(info: { dashscopeRequestId?: string }): void;
  /**
   * Adds a chunk to what the next flush sends: its text (`json`, `frame`) as DashScope sent it, less a null usage
   * the client did not ask for.
   */
  forward(chunk: RelayedChunk): void;
  /** Adds a chunk the relay changed (repaired tool calls) to what the next flush sends. */
  send(chunk: ChatChunk): void;
  /**
   * Sends the chunks added since the last flush, in one write; called once per upstream read. A returned
   * promise means the client is slow: wait for it before sending more.
   */
  flush(): void | Promise<void>;
  /** Ends the stream normally (`data: [DONE]`). */
  done(): void;
  /** Ends the stream with an error event in the public error shape. */
  fail(error: unknown): void;
}

export interface RelayOptions {
  signal: CallerSignal;
  /** Absent when the chunks are only assembled (a non-streamed answer built from a stream). */
  sink?: ChatStreamSink;
  /** Forward the usage chunk to the client (it asked with stream_options.include_usage). */
  includeUsage: boolean;
  /** Keep what the assistant said (for a non-streamed answer or a conversation to save). */
  assemble: boolean;
  /** performance.now() when the request arrived, for time to first token. */
  startedAt: number;
}

export interface RelayResult {
  dashscopeRequestId?: string;
  usage?: ChatUsage;
  /** Time to the first generated token (not the opening role chunk). */
  ttftMs?: number;
  assembled?: CompletionAssembler;
  /** At least one chunk arrived (and, with a sink, the response head was sent). */
  opened: boolean;
  /** Upstream sent a finish reason (on every choice, when assembling). */
  finished: boolean;
  /** The client went away; the upstream call was cancelled. */
  aborted: boolean;
  /** The stream broke after the client saw its first chunk (the sink has not been told yet). */
  error?: unknown;
}

/** Retries of a stream whose connection broke after its head but before a single chunk reached the client. */
const EMPTY_STREAM_RETRIES = 1;
/** Only a broken connection is worth it; an error DashScope itself reported in the stream is final. */
const retryableBeforeFirstChunk = (e: unknown) => e instanceof DashScopeStreamError && e.code === 'stream_interrupted';

export async function relayChatStream(dashscope: Pick<ChatUpstream, 'chatRelay'>, body: UpstreamChatBody, o: RelayOptions): Promise<RelayResult> {
  for (let attempt = 0; ; attempt++) {
    let assembled: CompletionAssembler | undefined;
    let opened = false;
    let dashscopeRequestId: string | undefined;
    let usage: ChatUsage | undefined;
    let ttftMs: number | undefined;
    let sawFinish = false;
    try {
      // Retries of 429/5xx happen inside chatRelay, before its response head: nothing was sent yet.
      const upstream = await dashscope.chatRelay(body, { signal: o.signal });
      dashscopeRequestId = upstream.requestId;
      // made once the call is out, not before: nothing but the request itself delays it
      if (o.assemble) assembled = new CompletionAssembler();
      const fix = createToolCallFixer();
      // Called in the tick each upstream read arrives; the client's abort fails the pump (DashScopeAbortedError).
      await upstream.stream.pump((read) => {
        if (!opened) {
          opened = true;
          o.sink?.open({ dashscopeRequestId });
        }
        for (const item of read) {
          // the common case: a chunk of generated text (or the opening role), forwarded as it came, unparsed
          if (!item.needsInspection && !assembled) {
            if (ttftMs === undefined && item.hasText) ttftMs = performance.now() - o.startedAt;
            if (o.sink) forwardShaped(o.sink, item, o.includeUsage);
            continue;
          }
          // not validated again: the DashScope client checked the shape of every chunk it parsed
          const chunk = item.chunk as ChatChunk;
          if (ttftMs === undefined && item.hasText) ttftMs = performance.now() - o.startedAt;
          if (chunk.usage) usage = chunk.usage;
          assembled?.add(chunk);
          if (!sawFinish && chunk.choices.some((c) => c.finish_reason != null)) sawFinish = true;
          if (!o.sink || (chunk.choices.length === 0 && !o.includeUsage)) continue;
          // DashScope's own text unless the chunk was repaired: no second serialisation per chunk
          if (fix(chunk)) sendShaped(o.sink, chunk, o.includeUsage);
          else forwardShaped(o.sink, item, o.includeUsage);
        }
        // one write per read; a slow client holds the next read back until its socket drains
        return o.sink?.flush();
      });
      if (o.signal.aborted) return { dashscopeRequestId, usage, ttftMs, assembled, opened, finished: false, aborted: true };
      const finished = assembled ? assembled.finished : sawFinish;
      return { dashscopeRequestId, usage, ttftMs, assembled, opened, finished, aborted: false };
    } catch (e) {
      if (isAbort(e, o.signal)) return { dashscopeRequestId, usage, ttftMs, assembled, opened, finished: false, aborted: true };
      if (!opened && retryableBeforeFirstChunk(e) && attempt < EMPTY_STREAM_RETRIES) continue;
      const error = toUpstreamError(e);
      if (!opened) throw error;
      return { dashscopeRequestId, usage, ttftMs, assembled, opened, finished: false, aborted: false, error };
    }
  }
}

/** Sends a chunk the relay changed, every choice with its finish_reason and usage only for a client that asked. */
function sendShaped(sink: ChatStreamSink, chunk: ChatChunk, includeUsage: boolean): void {
  completeChoices(chunk);
  if (!includeUsage && chunk.usage === null) delete chunk.usage;
  sink.send(chunk);
}

/**
 * Forwards DashScope's text as it came when it is already in OpenAI's shape (nearly always); a chunk with a choice
 * lacking its finish_reason is parsed and sent completed, and a null usage the client did not ask for is cut out.
 */
function forwardShaped(sink: ChatStreamSink, item: RelayedChunk, includeUsage: boolean): void {
  if (lacksFinishReason(item.json) && item.chunk.choices.length > 0) return sendShaped(sink, item.chunk, includeUsage);
  if (includeUsage) return sink.forward(item);
  const json = withoutNullUsage(item.json);
  if (json === item.json) sink.forward(item);
  else sink.forward(withText(item, json));
}

/** The chunk with other text (no whole frame to send as it came); `chunk` is still the one read. */
function withText(item: RelayedChunk, json: string): RelayedChunk {
  return {
    needsInspection: item.needsInspection,
    hasText: item.hasText,
    json,
    get chunk() {
      return item.chunk;
    },
  };
}
