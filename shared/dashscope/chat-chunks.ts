// Reads a compatible-mode chat stream off the response body into RelayChunks, a read at a time; every
// decision on the chunks' wire text lives here. Cheap per chunk: docs/decisions/0001-one-undici-transport.md
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { ChatCompletionChunk } from './compat-types.ts';
import type { Deadline } from './deadline.ts';
import { DashScopeAbortedError, DashScopeStreamError } from './errors.ts';
import { streamErrorOf, toStreamFailure } from './event-stream.ts';
import { NO_COMMENTS, SseParser } from './sse.ts';
import type { SseEvent } from './sse.ts';

/** What the reader needs of a response body: node:http's IncomingMessage fits. */
export type ChatStreamBody = Readable;

/** What may follow `[DONE]` before the body ends and is still read off rather than cut. */
const AFTER_DONE_BYTES = 64 * 1024;

/**
 * After `[DONE]`: read off what is left (normally just the end of the body) within the deadline, then let go.
 * Read off, not cancelled: a body read to its end hands the connection back to the pool. More than
 * AFTER_DONE_BYTES, or the deadline passing, cancels it instead.
 */
function release(body: ChatStreamBody, deadline: Deadline): void {
  deadline.restart();
  let left = AFTER_DONE_BYTES;
  const done = () => {
    body.off('data', onData);
    body.off('end', done);
    body.off('close', done);
    deadline.dispose();
  };
  const onData = (read: Buffer) => {
    left -= read.length;
    if (left < 0) deadline.abort(new DashScopeAbortedError());
  };
  body.on('data', onData);
  body.on('end', done);
  // closed without an end: the deadline or the cap cancelled it, or the connection broke (the body's error is
  // already heard by the pump's listener)
  body.on('close', done);
  body.resume();
}

/**
 * A stream being relayed, read by push rather than by iteration: no promise per read unless the consumer
 * asks to wait. See pumpRelayChunks.
 */
export interface RelayStream {
  pump(onRead: (chunks: RelayChunk[]) => void | Promise<void>): Promise<void>;
}

/**
 * Relays a stream by push: `onRead` gets the chunks each read of the body completed, as RelayChunks (parsed
 * only when they carry more than generated text), in the tick the read arrived. A promise returned by
 * `onRead` holds the next read back until it settles (the consumer's backpressure), with the idle deadline
 * paused meanwhile. Resolves after `[DONE]`, whose rest of the body is read off quietly, or at the end of the
 * body. Rejects with the stream's failure (a broken connection, the idle timeout, the caller's abort), an
 * error frame's DashScopeStreamError, or what `onRead` threw; in the last two cases the request is cancelled.
 */
export function pumpRelayChunks(body: ChatStreamBody, deadline: Deadline, requestId: string, onRead: (chunks: RelayChunk[]) => void | Promise<void>): Promise<void> {
  const parser = new SseParser();
  const decoder = new StringDecoder('utf8');
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    /** Ends the pump once: stops listening, lets the body go as `how` says, then settles after `wait`. */
    const finish = (how: 'done' | 'ended' | 'cancel' | 'failed', error?: unknown, wait?: Promise<void>) => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      body.off('end', onEnd);
      // the error listener stays: a body cancelled below still emits its abort
      if (how === 'done') release(body, deadline);
      else if (how === 'cancel') deadline.abort(new DashScopeAbortedError());
      else deadline.dispose();
      if (error !== undefined) reject(error);
      else if (wait) wait.then(resolve, reject);
      else resolve();
    };
    /** Hands the chunks of `events` before `[DONE]` to onRead; returns whether `[DONE]` was among them. */
    const deliver = (events: SseEvent[]): { done: boolean; wait: void | Promise<void> } => {
      const out: RelayChunk[] = [];
      let done = false;
      for (const event of events) {
        if (isDoneData(event.data)) {
          done = true;
          break;
        }
        out.push(toRelayChunk(event.data, requestId, event));
      }
      return { done, wait: out.length > 0 ? onRead(out) : undefined };
    };
    /** The read was one whole `data: <json>` event (nearly every read of a stream): no parsing, no copies. */
    const deliverFrame = (frame: string): { done: boolean; wait: void | Promise<void> } => {
      const data = frame.slice(6, -2);
      if (isDoneData(data)) return { done: true, wait: undefined };
      return { done: false, wait: onRead([toRelayChunk(data, requestId, undefined, frame)]) };
    };
    const onData = (read: Buffer) => {
      deadline.pause();
      let r: ReturnType<typeof deliver>;
      try {
        const text = decoder.write(read);
        r = parser.idle && isSingleDataFrame(text) ? deliverFrame(text) : deliver(parser.push(text));
      } catch (e) {
        return finish('cancel', e);
      }
      if (r.done) return finish('done', undefined, r.wait ?? undefined);
      if (!r.wait) return deadline.restart();
      body.pause();
      r.wait.then(
        () => {
          if (settled) return;
          deadline.restart();
          body.resume();
        },
        (e: unknown) => finish('cancel', e),
      );
    };
    const onEnd = () => {
      // the body ended without `[DONE]`: whatever complete event is left still counts
      let r: ReturnType<typeof deliver>;
      try {
        r = deliver([...parser.push(decoder.end()), ...parser.end()]);
      } catch (e) {
        return finish('failed', e);
      }
      finish('ended', undefined, r.wait ?? undefined);
    };
    const onError = (err: unknown) => finish('failed', toStreamFailure(err, deadline, requestId));
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    deadline.restart();
  });
}

/**
 * One chunk of a relayed stream, as its consumer sees it: `needsInspection`, `hasText`, `chunk`, and the chunk
 * itself handed to the SSE writer to send on unchanged. Nearly every chunk carries nothing but generated text
 * (or the opening role): one line of an ordinary event, a non-empty `choices`, and no finish reason, usage,
 * tool calls, error or code other than null, as its text shows. Those are not parsed unless someone reads
 * `chunk`. Every other chunk is parsed and checked on arrival, so an error frame still fails the stream where
 * it occurs.
 */
export class RelayChunk {
  /** It carries more than generated text (finish reason, usage, tool calls): read `chunk` to act on it. */
  readonly needsInspection: boolean;

  constructor(
    /** For the SSE writer: the chunk's one-line JSON text, as DashScope sent it unless it spanned several lines. */
    readonly json: string,
    /** For the SSE writer: `data: <json>\n\n` exactly as it was read, when the chunk came as that one frame. */
    readonly frame: string | undefined,
    private parsed: ChatCompletionChunk | undefined,
    private readonly requestId = '',
  ) {
    this.needsInspection = parsed !== undefined;
  }

  /** A chunk already in hand (tests, and chunks built rather than read): one to inspect. */
  static of(chunk: ChatCompletionChunk, json = JSON.stringify(chunk)): RelayChunk {
    return new RelayChunk(json, undefined, chunk);
  }

  /** The chunk the reader makes of one `data:` line's text (tests, and streams built rather than read). */
  static fromText(json: string): RelayChunk {
    return toRelayChunk(json, '', undefined);
  }

  /** The chunk itself; one not inspected yet is parsed (and checked) on first use. */
  get chunk(): ChatCompletionChunk {
    this.parsed ??= toChunk({ event: 'message', data: this.json, comments: NO_COMMENTS }, this.requestId);
    return this.parsed;
  }

  /** It carries generated text (reasoning, answer or tool arguments), not just the opening role. */
  get hasText(): boolean {
    // read off the text while the chunk is unparsed: asking must not cost a parse
    return this.parsed === undefined ? TOKEN_TEXT.test(this.json) : chunkHasText(this.parsed);
  }
}

/**
 * In a chunk's one-line text: a field the relay acts on holding anything but null, or an empty `choices`,
 * i.e. a chunk that must be parsed. Quotes inside JSON strings are escaped, so generated text cannot match;
 * an unusual spelling (extra spaces, say) only costs a parse, never a missed field. (A text of several lines
 * is always parsed; that is checked apart, with indexOf, which costs far less than a `[\r\n]` alternative
 * here, and not at all for a whole-frame read, which has one line by construction.)
 */
const MUST_PARSE = /"(?:finish_reason|usage|tool_calls|error|code)"\s*:\s*(?!null\s*[,}\]])|"choices"\s*:\s*\[\s*\]/;

/**
 * hasText for an unparsed chunk's text (no tool calls there): a non-empty `content` or `reasoning_content`
 * string. Generated text cannot fake the key, for the same reason as above.
 */
const TOKEN_TEXT = /"(?:reasoning_)?content"\s*:\s*"[^"]/;

const chunkHasText = (chunk: ChatCompletionChunk) =>
  chunk.choices.some((c) => Boolean(c.delta?.content || c.delta?.reasoning_content || c.delta?.tool_calls?.length));

/** `event` is the parser's (its type and comments count for errors); a whole-frame read has neither. */
function toRelayChunk(data: string, requestId: string, event: SseEvent | undefined, frame?: string): RelayChunk {
  const oneLine = frame !== undefined || (data.indexOf('\n') === -1 && data.indexOf('\r') === -1);
  if (oneLine && (event === undefined || event.event === 'message') && data.includes('"choices":[') && !MUST_PARSE.test(data)) return new RelayChunk(data, frame, undefined, requestId);
  const chunk = toChunk(event ?? { event: 'message', data, comments: NO_COMMENTS }, requestId);
  // a chunk sent over several data lines goes on as one line: serialised again (DashScope does not send them)
  return new RelayChunk(oneLine ? data : JSON.stringify(chunk), frame, chunk, requestId);
}

const isDoneData = (data: string) => data.length < 16 && data.trim() === '[DONE]';

/** `data: <one line>` and the blank line, nothing more: a whole event an idle parser would yield as it is. */
function isSingleDataFrame(text: string): boolean {
  const end = text.length - 2;
  return end > 6 && text.startsWith('data: ') && text.indexOf('\n') === end && text.charCodeAt(end + 1) === 10 && text.indexOf('\r') === -1;
}

/** The chunk in an event (not `[DONE]`). Throws DashScopeStreamError for errors and odd shapes. */
function toChunk(event: SseEvent, requestId: string): ChatCompletionChunk {
  const data = event.data;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (err) {
    throw new DashScopeStreamError('invalid_chunk', 'DashScope sent a stream chunk that is not JSON', { requestId, cause: err });
  }
  const failure = streamErrorOf(event, value, requestId);
  if (failure) throw failure;
  const problem = shapeProblem(value);
  if (problem) throw new DashScopeStreamError('invalid_chunk', `DashScope sent a stream chunk of unexpected shape (${problem})`, { requestId });
  return value as ChatCompletionChunk;
}

/**
 * The minimal shape the relay relies on (what `chatCompletionChunkSchema` describes), checked by hand because
 * it runs per chunk: an object whose `choices` is an array of objects with an object (or no) `delta`, and an
 * object (or no) `usage`. Returns where it is wrong, or undefined.
 */
export function shapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'root: expected an object';
  const { choices, usage } = value as { choices?: unknown; usage?: unknown };
  if (!Array.isArray(choices)) return 'choices: expected an array';
  for (let i = 0; i < choices.length; i++) {
    const c: unknown = choices[i];
    if (typeof c !== 'object' || c === null) return `choices.${i}: expected an object`;
    const delta = (c as { delta?: unknown }).delta;
    if (delta != null && typeof delta !== 'object') return `choices.${i}.delta: expected an object`;
  }
  if (usage != null && typeof usage !== 'object') return 'usage: expected an object';
  return undefined;
}
