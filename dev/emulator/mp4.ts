// MP4 files of any size as a stream (ftyp + moov + mdat), the payload deterministic per seed, each 64 KiB
// block stamped with its index so a copy can be checked byte for byte. Above 4 GiB the mdat size is 64-bit.
import { Readable } from 'node:stream';
import { prng, hash32 } from './text-gen.ts';

const BLOCK = 64 * 1024;

function box(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'ascii');
  return Buffer.concat([head, body]);
}

function ftyp(): Buffer {
  return box('ftyp', Buffer.concat([Buffer.from('isom'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2avc1mp41')]));
}

function moov(durationS: number): Buffer {
  const b = Buffer.alloc(100);
  b.writeUInt32BE(1000, 12); // timescale (after version/flags, creation, modification)
  b.writeUInt32BE(Math.round(durationS * 1000), 16);
  b.writeUInt32BE(0x00010000, 20); // rate 1.0
  b.writeUInt16BE(0x0100, 24); // volume 1.0
  [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000].forEach((v, i) => b.writeUInt32BE(v, 36 + i * 4));
  b.writeUInt32BE(2, 96); // next track id
  return box('moov', box('mvhd', b));
}

/** Everything before the mdat payload, and how many payload bytes follow to reach `totalBytes`. */
export function mp4Head(totalBytes: number, durationS: number): { head: Buffer; payloadBytes: number } {
  const prefix = Buffer.concat([ftyp(), moov(durationS)]);
  const small = totalBytes - prefix.length <= 0xffffffff;
  const mdat = Buffer.alloc(small ? 8 : 16);
  const payloadBytes = totalBytes - prefix.length - mdat.length;
  if (payloadBytes < 0) throw new RangeError(`an MP4 needs at least ${prefix.length + 8} bytes`);
  if (small) mdat.writeUInt32BE(8 + payloadBytes, 0);
  else {
    mdat.writeUInt32BE(1, 0);
    mdat.writeBigUInt64BE(BigInt(16 + payloadBytes), 8);
  }
  mdat.write('mdat', 4, 'ascii');
  return { head: Buffer.concat([prefix, mdat]), payloadBytes };
}

function baseBlock(seed: string): Buffer {
  const rand = prng(hash32(seed));
  const b = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i += 4) b.writeUInt32LE(Math.floor(rand() * 0x100000000), i);
  return b;
}

/** The MP4 as a stream of at most 64 KiB chunks, honouring backpressure. */
export function mp4Stream(totalBytes: number, durationS: number, seed: string): Readable {
  const { head, payloadBytes } = mp4Head(totalBytes, durationS);
  const block = baseBlock(seed);
  let sentHead = false;
  let index = 0;
  let left = payloadBytes;
  return new Readable({
    highWaterMark: BLOCK * 2,
    read() {
      if (!sentHead) {
        sentHead = true;
        this.push(head);
        return;
      }
      if (left <= 0) {
        this.push(null);
        return;
      }
      const len = Math.min(BLOCK, left);
      const chunk = Buffer.allocUnsafe(len);
      block.copy(chunk, 0, 0, len);
      if (len >= 8) {
        chunk.writeUInt32LE(index >>> 0, 0);
        chunk.writeUInt32LE(Math.floor(index / 0x100000000), 4);
      }
      index++;
      left -= len;
      this.push(chunk);
    },
  });
}
