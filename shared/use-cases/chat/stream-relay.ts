// The streaming hot path: the chunks of each upstream read go to the sink, and out in one flush, the moment
// the read arrives (tool-call deltas repaired, the usage chunk dropped unless the client asked for it).
// Nothing is validated or logged per chunk here: the DashScope client checked the shape of every chunk it
// parsed, and a plain chunk (see RelayChunk) is sent on as DashScope wrote it, unparsed, unless the answer is
// being assembled; the time to first token is read off its text.
import type { Deps } from '../../deps/deps.ts';
import type { CallerSignal } from '../../streams/cancellation.ts';
import { DashScopeStreamError } from '../../dashscope/errors.ts';
import type { ChatChunk, ChatUsage } from './chat-chunk.ts';
import { CompletionAssembler } from './completion-assembler.ts';
import type { UpstreamChatBody } from './chat-upstream-body.ts';
import { createToolCallFixer } from './tool-call-deltas.ts';
import { isAbort, toUpstreamError } from './upstream-error.ts';

/** Where the relayed chunks go: the SSE writer of the HTTP entry point. */
export interface ChatStreamSink {
  /** Sends the response head; called once, right before the first chunk. */
  open(info: { dashscopeRequestId?: string }): void;
  /**
   * Adds one chunk, given as its JSON text (one line), to what the next flush sends. `frame`, when given, is
   * that chunk's whole event as DashScope sent it (`data: <json>` and the blank line), to be sent as it is.
   */
  chunk(json: string, frame?: string): void;
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

/** The chunk carries generated text (reasoning, answer or tool arguments), not just the opening role. */
const hasToken = (chunk: ChatChunk) =>
  chunk.choices.some((c) => Boolean(c.delta?.content || c.delta?.reasoning_content || c.delta?.tool_calls?.length));

/**
 * hasToken for a plain chunk's text (no tool calls there): a non-empty `content` or `reasoning_content`
 * string. Quotes inside JSON strings are escaped, so generated text cannot fake the key.
 */
const TOKEN_TEXT = /"(?:reasoning_)?content"\s*:\s*"[^"]/;

export async function relayChatStream(dashscope: Deps['dashscope'], body: UpstreamChatBody, o: RelayOptions): Promise<RelayResult> {
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
          // the common case: a chunk of generated text (or the opening role), relayed as it came, unparsed
          if (item.plain && !assembled && item.json !== undefined) {
            if (ttftMs === undefined && TOKEN_TEXT.test(item.json)) ttftMs = performance.now() - o.startedAt;
            o.sink?.chunk(item.json, item.frame);
            continue;
          }
          const chunk = item.chunk as ChatChunk;
          if (ttftMs === undefined && hasToken(chunk)) ttftMs = performance.now() - o.startedAt;
          if (chunk.usage) usage = chunk.usage;
          assembled?.add(chunk);
          if (!sawFinish && chunk.choices.some((c) => c.finish_reason != null)) sawFinish = true;
          if (!o.sink || (chunk.choices.length === 0 && !o.includeUsage)) continue;
          // DashScope's own text unless the chunk was repaired: no second serialisation per chunk
          o.sink.chunk(fix(chunk) || item.json === undefined ? JSON.stringify(chunk) : item.json);
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
