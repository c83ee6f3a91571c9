import { describe, expect, it } from 'vitest';
import { POLL_SCHEDULES, pollDelayMs, retryDelayMs } from './backoff.ts';

describe('poll backoff', () => {
  it('grows with each poll and stops at the cap', () => {
    const s = POLL_SCHEDULES['text-to-image'];
    const delays = Array.from({ length: 12 }, (_, i) => pollDelayMs(s, i, () => 0.5));
    for (let i = 1; i < delays.length; i++) expect(delays[i]!).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(delays[0]).toBe(s.firstMs);
    expect(delays.at(-1)).toBe(s.maxMs);
  });

  it('keeps jitter within ±10 %', () => {
    const s = POLL_SCHEDULES['text-to-video'];
    expect(pollDelayMs(s, 0, () => 0)).toBe(Math.round(s.firstMs * 0.9));
    expect(pollDelayMs(s, 0, () => 1)).toBe(Math.round(s.firstMs * 1.1));
  });

  it('polls video less often than images', () => {
    for (const n of [0, 3, 10]) {
      expect(pollDelayMs(POLL_SCHEDULES['text-to-video'], n, () => 0.5)).toBeGreaterThan(pollDelayMs(POLL_SCHEDULES['text-to-image'], n, () => 0.5));
    }
  });

  it('doubles retry delays up to the cap', () => {
    expect([1, 2, 3, 10].map((a) => retryDelayMs(1_000, a, 5_000, () => 0.5))).toEqual([1_000, 2_000, 4_000, 5_000]);
  });
});
