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

export interface WavHead {
  format: PcmFormat;
  /** Where the samples start. */
  dataOffset: number;
  /** The `data` chunk's declared size: 0xffffffff (or past the file's end) in a streamed header. */
  declaredBytes: number;
}

/**
 * Reads the head of a RIFF/WAVE file of PCM samples (its chunks up to the `data` chunk's header, skipping LIST
 * and the like): undefined while `start` is too short to tell, WavFormatError when it is no PCM WAV.
 */
export function readWavHead(start: Buffer): WavHead | undefined {
  if (start.length < 12) return undefined;
  if (start.toString('latin1', 0, 4) !== 'RIFF' || start.toString('latin1', 8, 12) !== 'WAVE') throw new WavFormatError('not a RIFF/WAVE file');
  let format: PcmFormat | undefined;
  let at = 12;
  while (at + 8 <= start.length) {
    const id = start.toString('latin1', at, at + 4);
    const size = start.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16) throw new WavFormatError('fmt chunk is truncated');
      if (body + 16 > start.length) return undefined;
      const encoding = start.readUInt16LE(body);
      // 0xfffe (extensible) carries PCM too; anything else is compressed
      if (encoding !== 1 && encoding !== 0xfffe) throw new WavFormatError(`WAV encoding ${encoding} is not PCM`);
      format = { channels: start.readUInt16LE(body + 2), sampleRate: start.readUInt32LE(body + 4), bitsPerSample: start.readUInt16LE(body + 14) };
      if (!format.channels || !format.sampleRate || format.bitsPerSample % 8 !== 0 || !format.bitsPerSample) {
        throw new WavFormatError('fmt chunk describes no playable PCM');
      }
    } else if (id === 'data') {
      if (!format) throw new WavFormatError('data chunk before the fmt chunk');
      return { format, dataOffset: body, declaredBytes: size };
    }
    at = body + size + (size % 2);
  }
  return undefined;
}

const frameBytes = (f: PcmFormat): number => f.channels * (f.bitsPerSample / 8);

/** The sample bytes of a WAV of `fileBytes` bytes with this head: as declared, or to the end, whole frames only. */
export function wavDataBytes(head: WavHead, fileBytes: number): number {
  const bytes = Math.max(0, Math.min(head.declaredBytes, fileBytes - head.dataOffset));
  // a partial last frame (a truncated stream) is dropped, so joined files stay frame-aligned
  return bytes - (bytes % frameBytes(head.format));
}

/** Reads a whole RIFF/WAVE file of PCM samples. A `data` size past the end of the file means "to the end". */
export function parseWav(file: Buffer): ParsedWav {
  const head = readWavHead(file);
  if (!head) throw new WavFormatError(file.length < 12 ? 'not a RIFF/WAVE file' : 'no data chunk');
  return { format: head.format, data: file.subarray(head.dataOffset, head.dataOffset + wavDataBytes(head, file.length)) };
}

/** Whether two formats are the same (parts of one format join into one file). */
export const sameFormat = (a: PcmFormat, b: PcmFormat): boolean => a.sampleRate === b.sampleRate && a.channels === b.channels && a.bitsPerSample === b.bitsPerSample;

/** What a joined file's part `i` differs in, for an error message. */
export function formatMismatch(i: number, part: PcmFormat, first: PcmFormat): string {
  return `part ${i} is ${part.sampleRate} Hz/${part.bitsPerSample}-bit/${part.channels} ch, part 0 ${first.sampleRate} Hz/${first.bitsPerSample}-bit/${first.channels} ch`;
}

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
    if (!sameFormat(p.format, format)) throw new WavFormatError(formatMismatch(i, p.format, format));
  });
  const dataBytes = parsed.reduce((n, p) => n + p.data.length, 0);
  return Buffer.concat([wavHeader(format, dataBytes), ...parsed.map((p) => p.data)], WAV_HEADER_BYTES + dataBytes);
}
