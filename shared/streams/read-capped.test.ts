import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCapped, type ReadCappedOptions } from './read-capped.ts';

const opts = (onOverflow: ReadCappedOptions['onOverflow']): ReadCappedOptions => ({
  tooLarge: () => new Error('too large'),
  closedEarly: () => new Error('closed early'),
  onOverflow,
});

describe('readCapped', () => {
  it('joins the pieces of a stream in order, and gives an empty buffer for an empty one', async () => {
    const pieces = ['你', '好', ', ', 'world'].map((s) => Buffer.from(s));
    expect((await readCapped(Readable.from(pieces), 100, opts('drain'))).toString()).toBe('你好, world');
    expect((await readCapped(Readable.from([]), 100, opts('drain'))).length).toBe(0);
  });

  it('refuses more than the cap and drains the rest, or destroys the stream, as asked', async () => {
    const drained = new PassThrough();
    const read = readCapped(drained, 4, opts('drain'));
    drained.write('abc');
    drained.write('de');
    await expect(read).rejects.toThrow('too large');
    drained.end('more');
    await new Promise((r) => drained.once('end', r)); // the rest was read off
    const destroyed = new PassThrough();
    const cut = readCapped(destroyed, 4, opts('destroy'));
    destroyed.write('abcde');
    await expect(cut).rejects.toThrow('too large');
    expect(destroyed.destroyed).toBe(true);
  });

  it("rejects with the stream's error, or with closedEarly when it closes before its end", async () => {
    const failing = new PassThrough();
    const a = readCapped(failing, 100, opts('drain'));
    failing.destroy(new Error('reset'));
    await expect(a).rejects.toThrow('reset');
    const closing = new PassThrough();
    const b = readCapped(closing, 100, opts('drain'));
    closing.write('part');
    closing.destroy();
    await expect(b).rejects.toThrow('closed early');
  });
});
