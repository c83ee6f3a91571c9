// One attempt's cancellation: fires when the caller aborts or the attempt's time runs out, and remembers
// which of the two happened, so the failure can be reported as the right typed error.
import { Cancellation, type CallerSignal } from '../streams/cancellation.ts';
import { DashScopeAbortedError, DashScopeTimeoutError } from './errors.ts';
import type { DashScopeError } from './errors.ts';

export class Deadline extends Cancellation {
  declare reason: DashScopeError | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The clock runs (restart) rather than being paused; a timer that fires while paused does nothing. */
  private running = false;
  private readonly onCallerAbort = () => this.abort(new DashScopeAbortedError(this.caller?.reason));
  private readonly onTimeout = () => {
    if (this.running) this.abort(new DashScopeTimeoutError(this.timeoutMs));
  };

  /**
   * @param start start the clock now (default); with false it starts at the first restart(), so that a caller
   *   can send its request first and arm the timer after (the timer is then a few µs late, never early)
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly caller?: CallerSignal,
    start = true,
  ) {
    super();
    // a Cancellation is listened to as an emitter, which costs less than a listener on an AbortSignal
    // (docs/decisions/0002-chat-overhead-measurement.md)
    if (caller?.aborted) this.onCallerAbort();
    else if (caller instanceof Cancellation) caller.once('abort', this.onCallerAbort);
    else caller?.addEventListener('abort', this.onCallerAbort, { once: true });
    if (start) this.restart();
  }

  /** Why it fired is in `reason`: the caller aborted, the time ran out, or abort() was called. */
  get fired(): boolean {
    return this.aborted;
  }

  /** Starts the timeout again: used between the chunks of a stream, where it is an idle timeout. */
  restart(): void {
    if (this.aborted) return;
    this.running = true;
    // re-arming the same timer costs far less than a new one per stream chunk
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(this.onTimeout, this.timeoutMs);
  }

  /** Stops the clock while the consumer of a stream holds a chunk: its slowness is not upstream's idleness. */
  pause(): void {
    this.running = false;
  }

  /** Cancels the attempt (the caller aborted, the time ran out, or a reason of our own, e.g. the consumer stopped reading a stream). */
  override abort(reason: DashScopeError): void {
    if (this.aborted) return;
    this.dispose();
    super.abort(reason);
  }

  /** Stops the timer and detaches from the caller's signal; what already fired stays fired. */
  dispose(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.caller instanceof Cancellation) this.caller.off('abort', this.onCallerAbort);
    else this.caller?.removeEventListener('abort', this.onCallerAbort);
  }
}
