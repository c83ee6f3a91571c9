// Reads a request's Range header against an object's size, the way OSS and browsers expect: one range
// (`a-b`, `a-`, `-n`) is served as 206, one that starts past the end as 416, anything else as the whole body.
import type { ByteRange } from '../../shared/adapters/local-fs/local-fs-object-store.ts';

export type RangeAnswer = { kind: 'whole' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

const SINGLE = /^bytes=(\d*)-(\d*)$/i;

export function readRange(header: string | undefined, size: number): RangeAnswer {
  // Malformed and multi-range requests get the whole body (RFC 9110 lets a server ignore Range).
  const m = header === undefined ? null : SINGLE.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'whole' };
  const [first, last] = [m[1]!, m[2]!];
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === '' ? Infinity : Number(last);
  if (end < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end: Math.min(end, size - 1) } };
}
