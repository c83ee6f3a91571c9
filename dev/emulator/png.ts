// Real PNG files (signature, IHDR, zlib IDAT, IEND with CRC-32) of any size, deterministic per seed. Rows
// use PNG's Sub filter with a constant delta, so a 1024×1024 image is built and compressed in a few ms.
import { crc32, deflateSync } from 'node:zlib';
import { hash32 } from './text-gen.ts';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** An RGB PNG of `width`×`height` whose colours depend on `seed`. */
export function makePng(width: number, height: number, seed: string): Buffer {
  const h = hash32(seed);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // colour type: RGB
  const stride = 1 + width * 3;
  const raw = Buffer.alloc(stride * height);
  const delta = [(h & 7) + 1, ((h >>> 3) & 7) + 1, ((h >>> 6) & 7) + 1];
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    raw[row] = 1; // Sub filter: each byte is the difference to the pixel on its left
    raw[row + 1] = (h >>> 8) + y;
    raw[row + 2] = (h >>> 16) + (y >> 1);
    raw[row + 3] = (h >>> 24) - y;
    const band = ((y >> 5) + (h & 3)) % 4 === 0;
    const d = Buffer.from(band ? [delta[2]!, delta[0]!, delta[1]!] : delta);
    if (width > 1) raw.fill(d, row + 4, row + stride);
  }
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
