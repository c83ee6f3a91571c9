import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Cancellation, type CallerSignal } from '../streams/cancellation.ts';
import { Deadline } from './deadline.ts';
import { DashScopeAbortedError, DashScopeStreamError, DashScopeTimeoutError } from './errors.ts';

/** Restarts `d` (timeout 100 ms) and checks that it fires 100 ms later, not before. */
function expectFiresAfterRestart(d: Deadline): void {
  d.restart();
  vi.advanceTimersByTime(99);
  expect(d.fired).toBe(false);
  vi.advanceTimersByTime(1);
  expect(d.reason).toBeInstanceOf(DashScopeTimeoutError);
}

describe('Deadline', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fires with DashScopeTimeoutError once its time has run out', () => {
    const d = new Deadline(100);
    vi.advanceTimersByTime(99);
    expect(d.abortSignal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(d.abortSignal.aborted).toBe(true);
    expect(d.reason).toBeInstanceOf(DashScopeTimeoutError);
  });

  it('made without starting, runs its clock from the first restart', () => {
    const d = new Deadline(100, undefined, false);
    vi.advanceTimersByTime(1_000);
    expect(d.fired).toBe(false);
    expectFiresAfterRestart(d);
  });

  it('counts from the last restart: an idle timeout between stream chunks', () => {
    const d = new Deadline(100);
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(80);
      d.restart();
    }
    expect(d.fired).toBe(false);
    vi.advanceTimersByTime(100);
    expect(d.reason).toBeInstanceOf(DashScopeTimeoutError);
  });

  it('does not fire while paused, and runs again from a restart after a long pause', () => {
    const d = new Deadline(100);
    d.pause();
    vi.advanceTimersByTime(1_000);
    expect(d.fired).toBe(false);
    expectFiresAfterRestart(d);
  });

  it('gives a signal that is already aborted, with the reason, when asked for after firing', () => {
    const d = new Deadline(100);
    vi.advanceTimersByTime(100);
    expect(d.abortSignal.aborted).toBe(true);
    expect(d.abortSignal.reason).toBeInstanceOf(DashScopeTimeoutError);
    expect(d.abortSignal).toBe(d.abortSignal);
  });
});

describe.each([
  ['an AbortSignal', () => {
    const c = new AbortController();
    return { signal: c.signal as CallerSignal, abort: (r: unknown) => c.abort(r) };
  }],
  ['a Cancellation', () => {
    const c = new Cancellation();
    return { signal: c as CallerSignal, abort: (r: unknown) => c.abort(r) };
  }],
])("Deadline with the caller's cancellation as %s", (_, makeCaller) => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("follows the caller's abort with DashScopeAbortedError, also when the caller had aborted already", () => {
    const caller = makeCaller();
    const d = new Deadline(100, caller.signal);
    caller.abort('gone');
    expect(d.reason).toBeInstanceOf(DashScopeAbortedError);
    expect(d.reason?.cause).toBe('gone');
    expect(new Deadline(100, caller.signal).reason).toBeInstanceOf(DashScopeAbortedError);
  });

  it('keeps the first reason: a later timeout or abort does not replace it', () => {
    const caller = makeCaller();
    const d = new Deadline(100, caller.signal);
    const own = new DashScopeStreamError('stream_interrupted', 'stopped');
    d.abort(own);
    caller.abort('gone');
    vi.advanceTimersByTime(200);
    expect(d.reason).toBe(own);
    expect(d.abortSignal.reason).toBe(own);
  });

  it('never fires once disposed, and stops listening to the caller', () => {
    const caller = makeCaller();
    const d = new Deadline(100, caller.signal);
    d.dispose();
    vi.advanceTimersByTime(1_000);
    caller.abort('gone');
    expect(d.fired).toBe(false);
    expect(d.abortSignal.aborted).toBe(false);
  });

  it('leaves no listener on the caller once disposed or fired', () => {
    const caller = makeCaller();
    new Deadline(100, caller.signal).dispose();
    const fired = new Deadline(100, caller.signal);
    vi.advanceTimersByTime(100);
    expect(fired.reason).toBeInstanceOf(DashScopeTimeoutError);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });

  it("tells listeners of its emitter face once, with reason set first (the transport cancels its request on that event)", () => {
    const caller = makeCaller();
    const d = new Deadline(100, caller.signal);
    const seen: unknown[] = [];
    d.on('abort', () => seen.push(d.reason));
    expect(d.aborted).toBe(false);
    caller.abort('gone');
    vi.advanceTimersByTime(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(DashScopeAbortedError);
    expect(d.aborted).toBe(true);
  });
});
