// A wait that a caller's signal cuts short: rejects with the signal's reason the moment it aborts.
import { toAbortSignal, type CallerSignal } from './cancellation.ts';

export function sleep(ms: number, caller?: CallerSignal): Promise<void> {
  const signal = caller && toAbortSignal(caller);
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
