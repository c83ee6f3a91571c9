// How a stream fails once its response headers arrived: the typed error for a broken or timed-out body, and
// the DashScopeStreamError of an error frame sent inside the stream (either envelope, or `event: error`).
import type { Deadline } from './deadline.ts';
import { DashScopeAbortedError, DashScopeError, DashScopeStreamError, DashScopeTimeoutError } from './errors.ts';
import { parseErrorEnvelope } from './schemas.ts';
import { httpStatusComment } from './sse.ts';
import type { SseEvent } from './sse.ts';

/** The typed error for a stream that failed after its response headers arrived. */
export function toStreamFailure(err: unknown, deadline: Deadline, requestId: string): DashScopeError {
  const reason = deadline.reason;
  if (reason instanceof DashScopeAbortedError) return reason;
  if (reason instanceof DashScopeTimeoutError) {
    return new DashScopeStreamError('stream_timeout', `DashScope sent nothing for ${reason.timeoutMs} ms in the middle of a stream`, {
      requestId,
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
    ...(status !== undefined ? { status } : {}),
  });
}
