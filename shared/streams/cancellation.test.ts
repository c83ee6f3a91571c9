import { describe, expect, it } from 'vitest';
import { Cancellation, toAbortSignal } from './cancellation.ts';

describe('Cancellation', () => {
  it('aborts once: the first reason stays, and its emitter tells listeners once', () => {
    const c = new Cancellation();
    let told = 0;
    c.on('abort', () => told++);
    expect(c.aborted).toBe(false);
    c.abort('first');
    c.abort('second');
    expect(c).toMatchObject({ aborted: true, reason: 'first' });
    expect(told).toBe(1);
  });

  it('gives a standard AbortSignal that follows it, made before or after the abort', () => {
    const before = new Cancellation();
    const signal = before.abortSignal;
    const seen: unknown[] = [];
    signal.addEventListener('abort', () => seen.push(signal.reason));
    expect(signal.aborted).toBe(false);
    before.abort('gone');
    expect(seen).toEqual(['gone']);

    const after = new Cancellation();
    after.abort('left');
    expect(after.abortSignal.aborted).toBe(true);
    expect(after.abortSignal.reason).toBe('left');
    expect(after.abortSignal).toBe(after.abortSignal);
  });

  it('is an emitter, not an EventTarget (no addEventListener), and converts to an AbortSignal', () => {
    const c = new Cancellation();
    expect('addEventListener' in c).toBe(false);
    expect(toAbortSignal(c)).toBe(c.abortSignal);
    const plain = new AbortController().signal;
    expect(toAbortSignal(plain)).toBe(plain);
  });
});
