// A pacing token bucket for DashScope's task-query cap (20 QPS per account, query/list/cancel together):
// calls start at least 1/rate apart, so one poll-task invocation never exceeds `rate` queries per second.
export interface Pacer {
  /** Resolves when the caller may send its next query; rejects if `signal` aborts first. */
  take(signal?: AbortSignal): Promise<void>;
}

// one per invocation: concurrent invocations stay under the account cap while their rates add up below it
export function createPacer(ratePerSecond: number, now: () => number = () => performance.now()): Pacer {
  if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
  const interval = 1000 / ratePerSecond;
  let next = -Infinity;
  return {
    take(signal) {
      const t = now();
      const at = Math.max(t, next);
      next = at + interval;
      const wait = at - t;
      if (wait <= 0) return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, wait);
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
