// Reads a compatible-mode chat stream straight off the response body: bytes → SSE events → checked
// `chat.completion.chunk` objects (chatChunks), or, for a relay, RelayChunks that keep each chunk's text and
// leave plain text chunks unparsed (relayChunks). An error sent inside the stream (either envelope, or
// `event: error`) becomes a DashScopeStreamError with its code. This runs for every chunk of every streamed
// answer, so the normal path is kept cheap: a hand check of the minimal shape instead of a schema, no Error
// objects, one await per read of the body, and after `[DONE]` the rest of the body is read off quietly (no
// abort), so the keep-alive connection goes back to the pool.
import { StringDecoder } from 'node:string_decoder';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Deadline } from './deadline.ts';
import { DashScopeAbortedError, DashScopeStreamError } from './errors.ts';
import { streamErrorOf, toStreamFailure } from './event-stream.ts';
import { SseParser } from './sse.ts';
import type { SseEvent } from './sse.ts';

/** What the reader needs of a response body: undici's body (a node Readable with `dump`) fits. */
export interface ChatStreamBody {
  iterator(options: { destroyOnReturn: boolean }): AsyncIterableIterator<Buffer>;
  dump(options: { limit: number }): Promise<unknown>;
}

/** What may follow `[DONE]` before the body ends and is still read off rather than cut. */
const AFTER_DONE_BYTES = 64 * 1024;

/**
 * Yields the chunks of one stream as they arrive. The deadline is an idle timeout while waiting on DashScope;
 * stopping early (break, a thrown error, the caller's abort) cancels the upstream request.
 */
export async function* chatChunks(body: ChatStreamBody, deadline: Deadline, requestId: string): AsyncGenerator<ChatCompletionChunk, void, undefined> {
  for await (const read of readEvents(body, deadline, requestId, (event) => toChunk(event, requestId))) yield* read;
}

/**
 * The same stream for relaying it: the chunks each read of the body completed, as RelayChunks (their JSON
 * text, parsed only when they carry more than generated text). One await per read rather than per chunk.
 */
export function relayChunks(body: ChatStreamBody, deadline: Deadline, requestId: string): AsyncGenerator<RelayChunk[], void, undefined> {
  return readEvents(body, deadline, requestId, (event) => toRelayChunk(event, requestId));
}

/**
 * The reading loop both share: bytes → SSE events → `convert`, yielded in the groups one read completed,
 * up to `[DONE]` (or the end of the body). `convert` may throw (an error frame): the request is then cancelled.
 */
async function* readEvents<T>(body: ChatStreamBody, deadline: Deadline, requestId: string, convert: (event: SseEvent) => T): AsyncGenerator<T[], void, undefined> {
  const parser = new SseParser();
  // node's decoder: like the parser's own TextDecoder (UTF-8 split across reads), at a fraction of the cost
  const decoder = new StringDecoder('utf8');
  // not destroyed when left: after `[DONE]` the body is drained instead (destroying it would cut the connection)
  const reads = body.iterator({ destroyOnReturn: false });
  let bytes = 0;
  let ended = false;
  let done = false;
  /** Converts the events before `[DONE]`; sets `done` when it is among them. */
  const convertAll = (events: SseEvent[]): T[] => {
    const out: T[] = [];
    for (const event of events) {
      if (isDone(event)) {
        done = true;
        break;
      }
      out.push(convert(event));
    }
    return out;
  };
  try {
    for (;;) {
      deadline.restart();
      let next: IteratorResult<Buffer>;
      try {
        next = await reads.next();
      } catch (err) {
        ended = true;
        throw toStreamFailure(err, deadline, requestId);
      }
      deadline.pause();
      if (next.done) {
        ended = true;
        break;
      }
      bytes += next.value.length;
      const out = convertAll(parser.push(decoder.write(next.value)));
      if (out.length > 0) yield out;
      if (done) return;
    }
    // the body ended without `[DONE]`: whatever complete event is left still counts
    const out = convertAll([...parser.push(decoder.end()), ...parser.end()]);
    if (out.length > 0) yield out;
  } finally {
    if (ended) deadline.dispose();
    else if (done) release(body, reads, deadline, bytes);
    else {
      // stopping early: abort the request, so the upstream connection is closed and DashScope stops generating
      deadline.abort(new DashScopeAbortedError());
      await reads.return?.().catch(() => undefined);
    }
  }
}

/** After `[DONE]`: read off what is left (normally just the end of the body) within the deadline, then let go. */
function release(body: ChatStreamBody, reads: AsyncIterableIterator<Buffer>, deadline: Deadline, bytes: number): void {
  deadline.restart();
  void (async () => {
    await reads.return?.();
    await body.dump({ limit: bytes + AFTER_DONE_BYTES });
  })()
    .catch(() => undefined)
    .finally(() => deadline.dispose());
}

/**
 * One chunk of a relayed stream. A chunk is *plain* when its text shows it carries nothing but generated text
 * (or the opening role): one line of an ordinary event, a non-empty `choices`, and no finish reason, usage,
 * tool calls, error or code other than null. Nearly every chunk of a stream is plain; those are not parsed (a
 * relay sends their text on as it came) unless someone reads `chunk`. Every other chunk is parsed and checked
 * on arrival, so an error frame still fails the stream where it occurs.
 */
export class RelayChunk {
  constructor(
    /** The chunk's JSON text as DashScope sent it; undefined when it spanned several `data:` lines. */
    readonly json: string | undefined,
    private parsed: ChatCompletionChunk | undefined,
    private readonly requestId = '',
  ) {}

  /** A chunk already in hand (tests, and chunks built rather than read). */
  static of(chunk: ChatCompletionChunk, json: string | undefined = JSON.stringify(chunk)): RelayChunk {
    return new RelayChunk(json, chunk);
  }

  /** Nothing in it but generated text (or the role), and not parsed yet: see the class comment. */
  get plain(): boolean {
    return this.parsed === undefined;
  }

  /** The chunk itself; a plain one is parsed (and checked) on first use. */
  get chunk(): ChatCompletionChunk {
    this.parsed ??= toChunk({ event: 'message', data: this.json ?? '', comments: [] }, this.requestId);
    return this.parsed;
  }
}

/**
 * In a chunk's text: a field the relay acts on holding anything but null, an empty `choices`, or a line end,
 * i.e. a chunk that must be parsed. Quotes inside JSON strings are escaped, so generated text cannot match;
 * an unusual spelling (extra spaces, say) only costs a parse, never a missed field.
 */
const MUST_PARSE = /"(?:finish_reason|usage|tool_calls|error|code)"\s*:\s*(?!null\s*[,}\]])|"choices"\s*:\s*\[\s*\]|[\r\n]/;

function toRelayChunk(event: SseEvent, requestId: string): RelayChunk {
  const data = event.data;
  if (event.event === 'message' && data.includes('"choices":[') && !MUST_PARSE.test(data)) return new RelayChunk(data, undefined, requestId);
  const chunk = toChunk(event, requestId);
  return new RelayChunk(data.includes('\n') || data.includes('\r') ? undefined : data, chunk, requestId);
}

const isDone = (event: SseEvent) => event.data.length < 16 && event.data.trim() === '[DONE]';

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
