// WAV (RIFF, PCM) for synthesised speech: parse a file into its format and samples, write a header (of a
// known length, or of a stream whose length is not known yet), and join files of one format into one.

export interface PcmFormat {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
}

export interface ParsedWav {
  format: PcmFormat;
  /** The `data` chunk's bytes (samples, little-endian). */
  data: Buffer;
}

/** What Qwen TTS produces: 24 kHz, 16-bit, mono. */
export const QWEN_TTS_PCM: PcmFormat = { sampleRate: 24_000, channels: 1, bitsPerSample: 16 };

export const WAV_HEADER_BYTES = 44;
/** The size fields of a stream's header: the largest value, which players read as "until the end". */
const STREAMING_SIZE = 0xffff_ffff;

export class WavFormatError extends Error {
  override name = 'WavFormatError';
}

const bytesPerSecond = (f: PcmFormat): number => f.sampleRate * f.channels * (f.bitsPerSample / 8);

/** Seconds of audio in `dataBytes` bytes of samples. */
export function pcmSeconds(format: PcmFormat, dataBytes: number): number {
  return dataBytes / bytesPerSecond(format);
}

/** A 44-byte PCM header for `dataBytes` bytes of samples; without `dataBytes`, one for a stream of unknown length. */
export function wavHeader(format: PcmFormat, dataBytes?: number): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  const blockAlign = format.channels * (format.bitsPerSample / 8);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(dataBytes === undefined ? STREAMING_SIZE : 36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(format.channels, 22);
  h.writeUInt32LE(format.sampleRate, 24);
  h.writeUInt32LE(bytesPerSecond(format), 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(format.bitsPerSample, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes === undefined ? STREAMING_SIZE : dataBytes, 40);
  return h;
}

/**
 * Reads a RIFF/WAVE file of PCM samples: walks its chunks (skipping LIST and the like), takes the `fmt `
 * and `data` ones. A `data` size past the end of the file (a streamed header) means "to the end".
 */
export function parseWav(file: Buffer): ParsedWav {
  if (file.length < 12 || file.toString('latin1', 0, 4) !== 'RIFF' || file.toString('latin1', 8, 12) !== 'WAVE') {
    throw new WavFormatError('not a RIFF/WAVE file');
  }
  let format: PcmFormat | undefined;
  let at = 12;
  while (at + 8 <= file.length) {
    const id = file.toString('latin1', at, at + 4);
    const size = file.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > file.length) throw new WavFormatError('fmt chunk is truncated');
      const encoding = file.readUInt16LE(body);
      // 0xfffe (extensible) carries PCM too; anything else is compressed
      if (encoding !== 1 && encoding !== 0xfffe) throw new WavFormatError(`WAV encoding ${encoding} is not PCM`);
      format = { channels: file.readUInt16LE(body + 2), sampleRate: file.readUInt32LE(body + 4), bitsPerSample: file.readUInt16LE(body + 14) };
      if (!format.channels || !format.sampleRate || format.bitsPerSample % 8 !== 0 || !format.bitsPerSample) {
        throw new WavFormatError('fmt chunk describes no playable PCM');
      }
    } else if (id === 'data') {
      if (!format) throw new WavFormatError('data chunk before the fmt chunk');
      const end = Math.min(file.length, body + size);
      const blockAlign = format.channels * (format.bitsPerSample / 8);
      // a partial last frame (a truncated stream) is dropped, so joined files stay frame-aligned
      const usable = end - body - ((end - body) % blockAlign);
      return { format, data: file.subarray(body, body + usable) };
    }
    at = body + size + (size % 2);
  }
  throw new WavFormatError(format ? 'no data chunk' : 'no fmt chunk');
}

const sameFormat = (a: PcmFormat, b: PcmFormat) => a.sampleRate === b.sampleRate && a.channels === b.channels && a.bitsPerSample === b.bitsPerSample;

/** One WAV holding the samples of `files` in order; they must share one format. */
export function joinWav(files: readonly Buffer[]): Buffer {
  if (files.length === 0) throw new WavFormatError('nothing to join');
  const parsed = files.map((f, i) => {
    try {
      return parseWav(f);
    } catch (e) {
      throw new WavFormatError(`part ${i}: ${(e as Error).message}`);
    }
  });
  const format = parsed[0]!.format;
  parsed.forEach((p, i) => {
    if (!sameFormat(p.format, format)) {
      throw new WavFormatError(`part ${i} is ${p.format.sampleRate} Hz/${p.format.bitsPerSample}-bit/${p.format.channels} ch, part 0 ${format.sampleRate} Hz/${format.bitsPerSample}-bit/${format.channels} ch`);
    }
  });
  const dataBytes = parsed.reduce((n, p) => n + p.data.length, 0);
  return Buffer.concat([wavHeader(format, dataBytes), ...parsed.map((p) => p.data)], WAV_HEADER_BYTES + dataBytes);
}
