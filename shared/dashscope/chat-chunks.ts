// Reads a compatible-mode chat stream straight off the response body: bytes → SSE events → checked
// `chat.completion.chunk` objects. An error sent inside the stream (either envelope, or `event: error`) becomes
// a DashScopeStreamError with its code. This runs for every chunk of every streamed answer, so the normal path
// is kept cheap: a hand check of the minimal shape instead of a schema, no Error objects, and after `[DONE]`
// the rest of the body is read off quietly (no abort), so the keep-alive connection goes back to the pool.
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
  const parser = new SseParser();
  // node's decoder: like the parser's own TextDecoder (UTF-8 split across reads), at a fraction of the cost
  const decoder = new StringDecoder('utf8');
  // not destroyed when left: after `[DONE]` the body is drained instead (destroying it would cut the connection)
  const reads = body.iterator({ destroyOnReturn: false });
  let bytes = 0;
  let ended = false;
  let done = false;
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
      for (const event of parser.push(decoder.write(next.value))) {
        const chunk = toChunk(event, requestId);
        if (chunk === undefined) {
          done = true;
          return;
        }
        yield chunk;
      }
    }
    // the body ended without `[DONE]`: whatever complete event is left still counts
    for (const event of [...parser.push(decoder.end()), ...parser.end()]) {
      const chunk = toChunk(event, requestId);
      if (chunk === undefined) return;
      yield chunk;
    }
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

const sourceText = new WeakMap<object, string>();

/**
 * The JSON text a chunk was parsed from, when it is one line (so it can be relayed as one `data:` line without
 * serialising the chunk again). Only valid while the chunk is unchanged: a caller that edits it must not use it.
 */
export function chunkSourceText(chunk: object): string | undefined {
  return sourceText.get(chunk);
}

/** The chunk in an event; undefined for `[DONE]`. Throws DashScopeStreamError for errors and odd shapes. */
function toChunk(event: SseEvent, requestId: string): ChatCompletionChunk | undefined {
  const data = event.data;
  if (data.length < 16 && data.trim() === '[DONE]') return undefined;
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
  if (!data.includes('\n') && !data.includes('\r')) sourceText.set(value as object, data);
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
