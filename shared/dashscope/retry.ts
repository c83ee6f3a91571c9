// The one retry policy of every DashScope call: retry only what a retry can fix (connection failures and
// 408/409/429/5xx answers), with capped, jittered exponential backoff, and stop waiting when the caller aborts.
import { toAbortSignal, type CallerSignal } from '../streams/cancellation.ts';
import { DashScopeAbortedError, DashScopeApiError, DashScopeError } from './errors.ts';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryPolicy {
  /** Attempts after the first. */
  maxRetries: number;
  /** Delay before the first retry, before jitter. */
  baseDelayMs: number;
  /** No single wait is longer than this (a Retry-After above it is capped too). */
  maxDelayMs: number;
  /** Injectable for tests. */
  sleep: Sleep;
  /** Returns [0, 1); injectable for tests. */
  random: () => number;
}

export interface RetryEvent {
  /** 1 for the first retry. */
  retry: number;
  delayMs: number;
  error: DashScopeError;
}

/** Resolves after `ms`, or rejects with DashScopeAbortedError as soon as `signal` fires. */
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DashScopeAbortedError(signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DashScopeAbortedError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export function defaultRetryPolicy(maxRetries: number, overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return { maxRetries, baseDelayMs: 500, maxDelayMs: 8_000, sleep: abortableSleep, random: Math.random, ...overrides };
}

/**
 * The wait before retry number `retry` (1-based): base·2^(retry-1), capped at maxDelayMs, then "equal
 * jitter" (a random point in the upper half) so that many clients throttled together do not return together.
 */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const capped = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(capped / 2 + (capped / 2) * policy.random());
}

function delayFor(retry: number, error: DashScopeError, policy: RetryPolicy): number {
  const asked = error instanceof DashScopeApiError ? error.retryAfterMs : undefined;
  if (asked !== undefined) return Math.min(asked, policy.maxDelayMs);
  return backoffDelay(retry, policy);
}

/**
 * Runs `attempt` until it succeeds, fails with an error that is not retryable, or retries run out.
 * `attempt` must throw DashScopeErrors (anything else is rethrown at once). Never used around stream
 * bodies: a stream is retried only before its first byte, by retrying the call that opens it.
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: CallerSignal,
  onRetry?: (e: RetryEvent) => void,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof DashScopeError) || !error.retryable || n > policy.maxRetries) throw error;
      if (signal?.aborted) throw new DashScopeAbortedError(signal.reason);
      const delayMs = delayFor(n, error, policy);
      onRetry?.({ retry: n, delayMs, error });
      await policy.sleep(delayMs, signal && toAbortSignal(signal));
    }
  }
}
