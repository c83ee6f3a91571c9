// Spaces out calls to one model so that this process stays under the model's requests-per-minute limit:
// each call takes the next free slot, interval = 60 s / RPM. Shared by all requests of the process.
import { sleep } from '../../streams/sleep.ts';

export class RateGate {
  private nextSlot = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  static perMinute(rpm: number): RateGate {
    return new RateGate(rpm > 0 ? 60_000 / rpm : 0);
  }

  /** Resolves when this call may start; rejects with the signal's reason if it fires while waiting. */
  async take(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const now = this.now();
    const at = Math.max(now, this.nextSlot);
    this.nextSlot = at + this.intervalMs;
    const wait = at - now;
    if (wait <= 0) return;
    await sleep(wait, signal);
  }
}
