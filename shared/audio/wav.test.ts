import { describe, expect, it } from 'vitest';
import { joinWav, parseWav, pcmSeconds, QWEN_TTS_PCM, wavHeader, WavFormatError, WAV_HEADER_BYTES } from './wav.ts';

const samples = (n: number, start = 0) => {
  const b = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) b.writeInt16LE((start + i) % 30_000, i * 2);
  return b;
};
const wav = (data: Buffer, format = QWEN_TTS_PCM) => Buffer.concat([wavHeader(format, data.length), data]);

describe('wav', () => {
  it('reads back the format and samples it wrote', () => {
    const data = samples(1_000);
    const parsed = parseWav(wav(data));
    expect(parsed.format).toEqual(QWEN_TTS_PCM);
    expect(parsed.data.equals(data)).toBe(true);
  });

  it('joins files into one whose samples are the parts in order and whose sizes are exact', () => {
    const a = samples(24_000);
    const b = samples(12_000, 7);
    const joined = joinWav([wav(a), wav(b)]);
    expect(joined.length).toBe(WAV_HEADER_BYTES + a.length + b.length);
    expect(joined.readUInt32LE(4)).toBe(joined.length - 8);
    const parsed = parseWav(joined);
    expect(parsed.data.equals(Buffer.concat([a, b]))).toBe(true);
    expect(pcmSeconds(parsed.format, parsed.data.length)).toBe(1.5);
  });

  it('skips chunks it does not need (LIST) and reads a streamed header up to the end of the file', () => {
    const data = samples(100);
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.from([0])]);
    const header = wavHeader(QWEN_TTS_PCM, data.length);
    const withList = Buffer.concat([header.subarray(0, 36), list, header.subarray(36), data]);
    expect(parseWav(withList).data.equals(data)).toBe(true);
    // a header written before the length was known says 0xffffffff; an odd trailing byte is dropped
    const streamed = Buffer.concat([wavHeader(QWEN_TTS_PCM), data, Buffer.from([1])]);
    expect(parseWav(streamed).data.equals(data)).toBe(true);
  });

  it('refuses what is not PCM WAV, and parts of different formats', () => {
    expect(() => parseWav(Buffer.from('not a wave file at all'))).toThrow(WavFormatError);
    const compressed = wav(samples(10));
    compressed.writeUInt16LE(85, 20);
    expect(() => parseWav(compressed)).toThrow(/not PCM/);
    expect(() => joinWav([wav(samples(10)), wav(samples(10)), wav(samples(10), { ...QWEN_TTS_PCM, sampleRate: 16_000 })])).toThrow(/part 2 is 16000 Hz/);
    expect(() => joinWav([])).toThrow(WavFormatError);
  });
});
