import { describe, expect, it } from 'vitest';
import { DashScopeAbortedError, DashScopeApiError, DashScopeConnectionError, DashScopeStreamError, DashScopeTimeoutError } from './errors.ts';
import { abortableSleep, backoffDelay, defaultRetryPolicy, withRetry } from './retry.ts';
import { Cancellation } from '../streams/cancellation.ts';

/** A policy whose sleeps are recorded instead of waited, with a scripted random source. */
function recordingPolicy(maxRetries: number, randoms: number[] = [0.5]) {
  const sleeps: number[] = [];
  let i = 0;
  const policy = defaultRetryPolicy(maxRetries, {
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => randoms[i++ % randoms.length]!,
  });
  return { policy, sleeps };
}

const throttled = () => new DashScopeApiError(429, 'Throttling.RateQuota', 'Requests rate limit exceeded');

describe('backoffDelay', () => {
  it('doubles from the base and never exceeds the cap, with jitter inside the upper half', () => {
    const bounds = (retry: number) => {
      const lo = backoffDelay(retry, { baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0 });
      const hi = backoffDelay(retry, { baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.999999 });
      return [lo, hi];
    };
    expect(bounds(1)).toEqual([50, 100]);
    expect(bounds(2)).toEqual([100, 200]);
    expect(bounds(3)).toEqual([200, 400]);
    expect(bounds(4)).toEqual([400, 800]);
    // capped from the fifth retry on
    expect(bounds(5)).toEqual([500, 1_000]);
    expect(bounds(30)).toEqual([500, 1_000]);
  });

  it('spreads delays of the same retry over the jitter range when random varies', () => {
    const delays = [0, 0.25, 0.5, 0.75].map((r) => backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 1_000, random: () => r }));
    expect(delays).toEqual([200, 250, 300, 350]);
  });
});

describe('withRetry', () => {
  it('retries a 429 once and returns the success, sleeping one jittered delay', async () => {
    const { policy, sleeps } = recordingPolicy(2, [0.5]);
    let calls = 0;
    const result = await withRetry(async () => {
      calls++;
      if (calls === 1) throw throttled();
      return 'ok';
    }, policy);
    expect(result).toBe('ok');
    expect(calls).toBe(2);
    expect(sleeps).toEqual([75]);
  });

  it('gives up after maxRetries retries and throws the last error', async () => {
    const { policy, sleeps } = recordingPolicy(3, [0]);
    let calls = 0;
    const err = await withRetry(async () => {
      calls++;
      throw new DashScopeApiError(500, 'InternalError', `boom ${calls}`);
    }, policy).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeApiError);
    expect((err as Error).message).toBe('boom 4');
    expect(calls).toBe(4);
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it.each([
    ['a 400', new DashScopeApiError(400, 'InvalidParameter', 'bad')],
    ['a 401', new DashScopeApiError(401, 'InvalidApiKey', 'bad key')],
    ['a timeout', new DashScopeTimeoutError(10)],
    ['a stream failure', new DashScopeStreamError('stream_interrupted', 'broke')],
    ['a non-DashScope error', new TypeError('bug')],
  ])('does not retry %s', async (_name, error) => {
    const { policy, sleeps } = recordingPolicy(3);
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw error;
      }, policy),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it.each([408, 409, 429, 500, 502, 503, 504])('retries status %i', async (status) => {
    const { policy } = recordingPolicy(1);
    let calls = 0;
    await withRetry(async () => {
      if (++calls === 1) throw new DashScopeApiError(status, 'x', 'x');
    }, policy);
    expect(calls).toBe(2);
  });

  it('retries connection failures', async () => {
    const { policy } = recordingPolicy(1);
    let calls = 0;
    await withRetry(async () => {
      if (++calls === 1) throw new DashScopeConnectionError('refused', { beforeSend: true });
    }, policy);
    expect(calls).toBe(2);
  });

  it('waits what Retry-After asked, capped at the maximum delay', async () => {
    const { policy, sleeps } = recordingPolicy(2);
    let calls = 0;
    await withRetry(async () => {
      calls++;
      if (calls === 1) throw new DashScopeApiError(429, 'x', 'x', { retryAfterMs: 300 });
      if (calls === 2) throw new DashScopeApiError(503, 'x', 'x', { retryAfterMs: 60_000 });
    }, policy);
    expect(sleeps).toEqual([300, 1_000]);
  });

  it('reports each retry to the hook with its delay and error code', async () => {
    const { policy } = recordingPolicy(2, [0]);
    const seen: string[] = [];
    let calls = 0;
    await withRetry(
      async () => {
        if (++calls < 3) throw throttled();
      },
      policy,
      undefined,
      (e) => seen.push(`${e.retry}:${e.delayMs}:${e.error.code}`),
    );
    expect(seen).toEqual(['1:50:Throttling.RateQuota', '2:100:Throttling.RateQuota']);
  });

  it.each([
    ['an AbortSignal', () => new AbortController()],
    ['a Cancellation', () => new Cancellation()],
  ])('stops waiting and throws DashScopeAbortedError when the caller aborts during the backoff (%s)', async (_, make) => {
    const controller = make();
    const signal = controller instanceof Cancellation ? controller : controller.signal;
    // a real abortable sleep of an hour: only the abort can end it
    const policy = defaultRetryPolicy(3, { baseDelayMs: 3_600_000, maxDelayMs: 3_600_000 });
    let calls = 0;
    const run = withRetry(
      async () => {
        calls++;
        throw throttled();
      },
      policy,
      signal,
      () => queueMicrotask(() => controller.abort('gone')),
    );
    await expect(run).rejects.toBeInstanceOf(DashScopeAbortedError);
    expect(calls).toBe(1);
  });

  it('does not start another attempt when the signal fired during the failed attempt', async () => {
    const { policy, sleeps } = recordingPolicy(3);
    const controller = new AbortController();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          controller.abort();
          throw throttled();
        },
        policy,
        controller.signal,
      ),
    ).rejects.toBeInstanceOf(DashScopeAbortedError);
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
  });
});

describe('abortableSleep', () => {
  it('rejects at once when the signal has already fired', async () => {
    await expect(abortableSleep(3_600_000, AbortSignal.abort())).rejects.toBeInstanceOf(DashScopeAbortedError);
  });

  it('resolves after the delay when nothing aborts it', async () => {
    await expect(abortableSleep(1, new AbortController().signal)).resolves.toBeUndefined();
  });
});

describe('withRetry and the service’s account', () => {
  it.each([
    [400, 'Arrearage'],
    [403, 'AllocationQuota.FreeTierOnly'],
    [429, 'Arrearage'],
    [503, 'arrearage'],
  ])('does not retry %i %s: arrears and an exhausted free tier wait for the operator, not for time', async (status, code) => {
    const { policy, sleeps } = recordingPolicy(3);
    let calls = 0;
    const error = new DashScopeApiError(status, code, 'account');
    expect(error.retryable).toBe(false);
    await expect(withRetry(async () => {
      calls++;
      throw error;
    }, policy)).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it.each(['Throttling.AllocationQuota', 'insufficient_quota', 'Throttling.RateQuota', 'limit_burst_rate'])('retries a 429 %s with growing jittered delays: a TPM or RPM throttle clears', async (code) => {
    const { policy, sleeps } = recordingPolicy(2, [0]);
    let calls = 0;
    const result = await withRetry(async () => {
      if (++calls <= 2) throw new DashScopeApiError(429, code, 'Allocated quota exceeded');
      return 'ok';
    }, policy);
    expect(result).toBe('ok');
    expect(sleeps).toEqual([50, 100]);
  });
});
