// CRC-64/ECMA-182 as OSS reports it in `x-oss-hash-crc64ecma` (reflected, init and xor-out all ones; a.k.a.
// CRC-64/XZ), computed incrementally over a stream. Two 32-bit halves instead of BigInt keep it fast.
const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;

const TABLE_HI = new Uint32Array(256);
const TABLE_LO = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let hi = 0;
  let lo = n;
  for (let k = 0; k < 8; k++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  TABLE_HI[n] = hi;
  TABLE_LO[n] = lo;
}

export class Crc64 {
  // the register, kept inverted (init all ones)
  private hi = 0xffffffff;
  private lo = 0xffffffff;

  update(data: Uint8Array): this {
    let hi = this.hi;
    let lo = this.lo;
    for (let i = 0; i < data.length; i++) {
      const idx = (lo ^ data[i]!) & 0xff;
      lo = ((lo >>> 8) | ((hi & 0xff) << 24)) ^ TABLE_LO[idx]!;
      hi = (hi >>> 8) ^ TABLE_HI[idx]!;
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
    return this;
  }

  /** The CRC as OSS writes it: an unsigned 64-bit decimal string. */
  digest(): string {
    const value = (BigInt((~this.hi) >>> 0) << 32n) | BigInt((~this.lo) >>> 0);
    return value.toString(10);
  }
}

export function crc64(data: Uint8Array): string {
  return new Crc64().update(data).digest();
}
