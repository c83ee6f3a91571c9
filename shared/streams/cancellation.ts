// A cancellation cheap to make and to listen to: an EventEmitter the DashScope transport listens to for its
// 'abort', with an AbortSignal made only when asked for. Why: docs/decisions/0002-chat-overhead-measurement.md
import { EventEmitter } from 'node:events';

export class Cancellation extends EventEmitter {
  private controller: AbortController | undefined;
  /** Set once, by the first abort. */
  aborted = false;
  /** Why it was cancelled (what abort() was given). */
  reason: unknown = undefined;

  /** Cancels: sets `aborted` and `reason`, aborts `signal` if one was made, then emits 'abort'. Once only. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    this.emit('abort');
  }

  /** A standard AbortSignal that aborts (with `reason`) along with this; made on first use. */
  get abortSignal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }
}

/** A caller's cancellation, as every DashScope call and use case takes it. */
export type CallerSignal = AbortSignal | Cancellation;

/** The standard AbortSignal of either kind (made on demand for a Cancellation). */
export function toAbortSignal(signal: CallerSignal): AbortSignal {
  return signal instanceof Cancellation ? signal.abortSignal : signal;
}
