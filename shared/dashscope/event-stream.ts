// Reads a native SSE response body as events (compat chat has its own leaner reader, chat-chunks.ts): an idle
// deadline that only runs while waiting on DashScope, typed errors once the stream has started, and
// cancellation of the upstream request whenever the consumer stops early (break, throw) or the caller aborts.
// The stream-failure helpers below serve both readers.
import type { Deadline } from './deadline.ts';
import { DashScopeAbortedError, DashScopeError, DashScopeStreamError, DashScopeTimeoutError } from './errors.ts';
import { parseErrorEnvelope } from './schemas.ts';
import { httpStatusComment, SseParser } from './sse.ts';
import type { SseEvent } from './sse.ts';

export async function* readEvents(
  body: AsyncIterable<Uint8Array>,
  deadline: Deadline,
  requestId: string,
): AsyncGenerator<SseEvent, void, undefined> {
  const parser = new SseParser();
  const chunks = body[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      deadline.restart();
      let next: IteratorResult<Uint8Array>;
      try {
        next = await chunks.next();
      } catch (err) {
        throw toStreamFailure(err, deadline, requestId);
      }
      deadline.pause();
      if (next.done) break;
      yield* parser.push(next.value);
    }
    finished = true;
    yield* parser.end();
  } finally {
    deadline.dispose();
    if (!finished) {
      // stopping early: abort the request and release the body, so the upstream connection is closed
      deadline.abort(new DashScopeAbortedError());
      await chunks.return?.().catch(() => undefined);
    }
  }
}

/** The typed error for a stream that failed after its response headers arrived. */
export function toStreamFailure(err: unknown, deadline: Deadline, requestId: string): DashScopeError {
  const reason = deadline.reason;
  if (reason instanceof DashScopeAbortedError) return reason;
  if (reason instanceof DashScopeTimeoutError) {
    return new DashScopeStreamError('stream_timeout', `DashScope sent nothing for ${reason.timeoutMs} ms in the middle of a stream`, {
      requestId,
      statusCode: 504,
      cause: reason,
    });
  }
  if (err instanceof DashScopeError) return err;
  return new DashScopeStreamError('stream_interrupted', 'the DashScope stream broke off before its end', { requestId, cause: err });
}

/** An error frame in a stream: `event: error`, or a data object that is an error envelope. */
export function streamErrorOf(event: SseEvent, value: unknown, requestId: string): DashScopeStreamError | undefined {
  const isObject = typeof value === 'object' && value !== null;
  const looksLikeError = isObject && ('error' in value || ('code' in value && !('choices' in value) && !('output' in value)));
  if (event.event !== 'error' && !looksLikeError) return undefined;
  const envelope = parseErrorEnvelope(value);
  const status = httpStatusComment(event);
  return new DashScopeStreamError(envelope?.code ?? 'stream_error', envelope?.message ?? 'DashScope reported an error in the middle of a stream', {
    requestId: envelope?.requestId ?? requestId,
    ...(status !== undefined ? { status, statusCode: status >= 400 ? status : 502 } : {}),
  });
}
