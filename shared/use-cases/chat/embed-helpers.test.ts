import { describe, expect, it } from 'vitest';
import { floatsToBase64 } from './create-embeddings.ts';
import { embedRequestSchema } from './embed-request.ts';
import { RateGate } from './rate-gate.ts';
import { estimateTokens } from './token-estimate.ts';

describe('embedding helpers', () => {
  it('encodes floats as base64 little-endian float32, as OpenAI does', () => {
    const b64 = floatsToBase64([1, -0.5, 0.25]);
    const buf = Buffer.from(b64, 'base64');
    expect(buf.length).toBe(12);
    expect([buf.readFloatLE(0), buf.readFloatLE(4), buf.readFloatLE(8)]).toEqual([1, -0.5, 0.25]);
    expect(buf.subarray(0, 4)).toEqual(Buffer.from([0x00, 0x00, 0x80, 0x3f]));
  });

  it('estimates more tokens per character for CJK text than for English', () => {
    expect(estimateTokens('a'.repeat(400))).toBe(100);
    expect(estimateTokens('字'.repeat(300))).toBe(200);
    expect(estimateTokens('')).toBe(0);
  });

  it('refuses token-id input with a clear message', () => {
    const r = embedRequestSchema.safeParse({ model: 'text-embedding-v4', input: [1, 2, 3] });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('token-id input is not supported');
  });

  it('hands out rate slots one interval apart', async () => {
    let now = 1_000;
    const gate = new RateGate(0, () => now);
    await gate.take();
    const spaced = new RateGate(50, () => now);
    const starts: number[] = [];
    // with a frozen clock the n-th slot lies n intervals ahead; advance the clock past each to release it
    await spaced.take();
    starts.push(now);
    now += 50;
    await spaced.take();
    starts.push(now);
    expect(starts).toEqual([1_000, 1_050]);
    const ac = new AbortController();
    const waiting = spaced.take(ac.signal);
    ac.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
  });
});
