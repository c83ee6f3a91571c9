import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DownloadError } from '../../ports/result-source.ts';
import { DigestStream } from './digest-stream.ts';

function chunks(total: number, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < total; i += size) out.push(Buffer.alloc(Math.min(size, total - i), i % 251));
  return out;
}
const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

describe('DigestStream', () => {
  it('passes bytes through and reports their count and sha256', async () => {
    const parts = chunks(100_000, 7_000);
    const digest = new DigestStream(1_000_000);
    const seen: Buffer[] = [];
    await pipeline(Readable.from(parts), digest, new Writable({ write: (c: Buffer, _e, cb) => (seen.push(c), cb()) }));
    const all = Buffer.concat(parts);
    expect(Buffer.concat(seen).equals(all)).toBe(true);
    expect(digest.result).toEqual({ bytes: all.length, sha256: createHash('sha256').update(all).digest('hex') });
  });

  it('exposes the first bytes even when they arrive over several small chunks', async () => {
    const digest = new DigestStream(1_000, 8);
    const run = pipeline(Readable.from([Buffer.from('ab'), Buffer.from('cdef'), Buffer.from('ghijkl')]), digest, sink());
    expect((await digest.head).toString()).toBe('abcdefgh');
    await run;
  });

  it('gives a short body whole as its head', async () => {
    const digest = new DigestStream(1_000, 16);
    await pipeline(Readable.from([Buffer.from('tiny')]), digest, sink());
    expect((await digest.head).toString()).toBe('tiny');
  });

  it('fails with TooLarge as soon as the cap is passed', async () => {
    const digest = new DigestStream(10_000);
    const err = await pipeline(Readable.from(chunks(50_000, 4_096)), digest, sink()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err).toMatchObject({ kind: 'refused', code: 'TooLarge' });
    expect(digest.bytes).toBeLessThanOrEqual(10_000 + 4_096);
    expect(digest.result).toBeUndefined();
  });

  it('hands its result to onResult before the consumer sees the end', async () => {
    let atEnd: string | undefined;
    const meta: { sha256?: string } = {};
    const digest = new DigestStream(1_000, 16, (r) => (meta.sha256 = r.sha256));
    await pipeline(Readable.from([Buffer.from('hello')]), digest, new Writable({ write: (_c, _e, cb) => cb(), final: (cb) => ((atEnd = meta.sha256), cb()) }));
    expect(atEnd).toBe(createHash('sha256').update('hello').digest('hex'));
  });
});
