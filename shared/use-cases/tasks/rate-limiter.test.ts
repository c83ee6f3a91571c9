import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPacer } from './rate-limiter.ts';

describe('createPacer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('spaces calls 1/rate apart, so no second holds more than the rate', async () => {
    vi.useFakeTimers();
    const pacer = createPacer(4, () => Date.now());
    const t0 = Date.now();
    const starts: number[] = [];
    const all = Array.from({ length: 9 }, () => pacer.take().then(() => starts.push(Date.now() - t0)));
    await vi.advanceTimersByTimeAsync(3_000);
    await Promise.all(all);
    expect(starts).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000]);
    for (const s of starts) expect(starts.filter((x) => x >= s && x < s + 1000).length).toBeLessThanOrEqual(4);
  });

  it('gives up waiting when the signal aborts', async () => {
    vi.useFakeTimers();
    const pacer = createPacer(1, () => Date.now());
    await pacer.take();
    const ac = new AbortController();
    const waiting = pacer.take(ac.signal);
    ac.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});
