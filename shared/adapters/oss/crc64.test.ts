import { describe, expect, it } from 'vitest';
import { Crc64, crc64 } from './crc64.ts';

describe('crc64 (ECMA-182, as OSS reports it)', () => {
  it('matches the published check value for "123456789"', () => {
    expect(BigInt(crc64(Buffer.from('123456789'))).toString(16)).toBe('995dc9bbdf1939fa');
  });

  it('is 0 for no bytes and the same whether fed at once or in pieces', () => {
    expect(crc64(Buffer.alloc(0))).toBe('0');
    const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 31) % 256));
    const pieces = new Crc64();
    for (let i = 0; i < data.length; i += 333) pieces.update(data.subarray(i, i + 333));
    expect(pieces.digest()).toBe(crc64(data));
  });
});
