// What every call to an upstream (DashScope) accepts: the caller's cancellation, a deadline per attempt and
// extra headers. Failures are the upstream's typed errors (shared/dashscope/errors.ts).
import type { CallerSignal } from '../streams/cancellation.ts';

export interface CallOptions {
  /** The caller's cancellation: aborting it cancels the upstream request and any wait between retries. */
  signal?: CallerSignal;
  /**
   * Per attempt: the time allowed until the whole answer has arrived; on streams, until the response
   * headers and then between two chunks. Defaults to the client's own deadline.
   */
  timeoutMs?: number;
  /** Extra request headers (e.g. `X-DashScope-DataInspection`). */
  headers?: Record<string, string>;
}
