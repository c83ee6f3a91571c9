// Deterministic embeddings: each word hashed into a few signed dimensions (bag of words) plus a faint
// per-text component, L2-normalised. Texts that share words point the same way; unrelated ones do not.
import { hash32, prng } from './text-gen.ts';

const HASHES_PER_WORD = 4;

export function embed(text: string, dims: number): number[] {
  const v = new Float64Array(dims);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const w of words) {
    for (let k = 0; k < HASHES_PER_WORD; k++) {
      const h = hash32(w, 0x9e3779b9 + k * 0x85ebca6b);
      v[h % dims]! += h & 0x80000000 ? -1 : 1;
    }
  }
  const rand = prng(hash32(text));
  const faint = words.length ? 0.05 : 1;
  for (let i = 0; i < dims; i++) v[i]! += (rand() - 0.5) * faint;
  let norm = 0;
  for (let i = 0; i < dims; i++) norm += v[i]! * v[i]!;
  norm = Math.sqrt(norm) || 1;
  return Array.from(v, (x) => x / norm);
}

/** Sparse form for `output_type: sparse`: one entry per distinct word. */
export function sparse(text: string): { index: number; value: number; token: string }[] {
  const counts = new Map<string, number>();
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts].map(([token, c]) => ({ index: hash32(token) % 250_000, value: Math.log1p(c), token }));
}

/** Float32 little-endian, base64: OpenAI's `encoding_format: "base64"`. */
export function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}
