// One attempt's cancellation: a signal that fires when the caller aborts or the attempt's time runs out, and
// that remembers which of the two happened, so the failure can be reported as the right typed error.
import { DashScopeAbortedError, DashScopeTimeoutError } from './errors.ts';
import type { DashScopeError } from './errors.ts';

export class Deadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** The clock runs (restart) rather than being paused; a timer that fires while paused does nothing. */
  private running = false;
  private readonly onCallerAbort = () => this.fire(new DashScopeAbortedError(this.caller?.reason));
  private readonly onTimeout = () => {
    if (this.running) this.fire(new DashScopeTimeoutError(this.timeoutMs));
  };
  /** Why the signal fired: set once, by whichever came first. */
  reason: DashScopeError | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly caller?: AbortSignal,
  ) {
    if (caller?.aborted) this.onCallerAbort();
    else caller?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.restart();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get fired(): boolean {
    return this.reason !== undefined;
  }

  /** Starts the timeout again: used between the chunks of a stream, where it is an idle timeout. */
  restart(): void {
    if (this.fired) return;
    this.running = true;
    // re-arming the same timer costs far less than a new one per stream chunk
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(this.onTimeout, this.timeoutMs);
  }

  /** Stops the clock while the consumer of a stream holds a chunk: its slowness is not upstream's idleness. */
  pause(): void {
    this.running = false;
  }

  /** Cancels the attempt for a reason of our own (e.g. the consumer stopped reading a stream). */
  abort(reason: DashScopeError): void {
    this.fire(reason);
  }

  /** Stops the timer and detaches from the caller's signal; the signal itself stays as it is. */
  dispose(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }

  private fire(reason: DashScopeError): void {
    if (this.reason) return;
    this.reason = reason;
    this.dispose();
    this.controller.abort(reason);
  }
}
