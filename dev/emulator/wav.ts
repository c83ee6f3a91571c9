// Speech-like audio, deterministic per seed: 24 kHz 16-bit mono PCM (what Qwen TTS streams) and the same
// samples as a WAV file, generated in ranges so stream and file are byte-identical without holding either.
import { hash32 } from './text-gen.ts';

export const SAMPLE_RATE = 24_000;
export const WAV_HEADER_BYTES = 44;
const SYLLABLE = Math.round(SAMPLE_RATE * 0.18);

export function wavHeader(samples: number): Buffer {
  const data = samples * 2;
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(SAMPLE_RATE, 24);
  h.writeUInt32LE(SAMPLE_RATE * 2, 28); // byte rate
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data, 40);
  return h;
}

/** Samples [start, start+count) of the voice for `seed`, as little-endian 16-bit PCM. */
export function pcmRange(seed: string, start: number, count: number): Buffer {
  const out = Buffer.alloc(count * 2);
  const base = 140 + (hash32(seed) % 120);
  let syllable = -1;
  let freq = base;
  for (let i = 0; i < count; i++) {
    const n = start + i;
    const k = Math.floor(n / SYLLABLE);
    if (k !== syllable) {
      syllable = k;
      freq = base * (1 + (hash32(`${seed}:${k}`) % 40) / 100);
    }
    const env = Math.sin((Math.PI * (n % SYLLABLE)) / SYLLABLE);
    const v = Math.sin((2 * Math.PI * freq * n) / SAMPLE_RATE) * env * 0.3 * 32767;
    out.writeInt16LE(Math.round(v), i * 2);
  }
  return out;
}

/** How long the voice speaks a text: 50 ms per character, at least 0.3 s. */
export function samplesForText(characters: number): number {
  return Math.max(Math.round(SAMPLE_RATE * 0.3), Math.round(characters * 0.05 * SAMPLE_RATE));
}
