// The source of a speech output synthesised in parts: one WAV streamed from the parts' WAVs in order, so it is
// copied and verified like any other output in a few reads' worth of memory. The header needs the total
// length first: a first pass reads only each part's head (and its length), the second streams the samples.
import { Readable } from 'node:stream';
import { formatMismatch, readWavHead, sameFormat, wavDataBytes, wavHeader, WavFormatError, WAV_HEADER_BYTES, type WavHead } from '../../audio/wav.ts';
import { DownloadError, toDownloadError, type OpenedResult, type ResultSource } from '../../ports/result-source.ts';

/** A WAV whose `data` chunk does not start within this many bytes is not one DashScope made. */
const MAX_HEAD_BYTES = 64 * 1024;

interface Part {
  url: string;
  head: WavHead;
  dataBytes: number;
}

const unjoinable = (count: number, why: string, cause?: unknown) =>
  new DownloadError('refused', 'UnjoinableParts', `the ${count} synthesised parts cannot be joined into one WAV: ${why}`, { cause });

/** The source's own reason for a failed read (its deadline, its size cap), else the failure as a DownloadError. */
const readFailure = (signal: AbortSignal, err: unknown): DownloadError => toDownloadError(signal.reason instanceof DownloadError ? signal.reason : err);

/** Reads a part's head, and its length: the source's Content-Length, or (without one) counted to the end. */
async function readPart(results: ResultSource, url: string, index: number, count: number, signal?: AbortSignal): Promise<Part> {
  const dl = await results.open(url, signal ? { signal } : {});
  try {
    let start = Buffer.alloc(0);
    let head: WavHead | undefined;
    let seen = 0;
    for await (const chunk of dl.body) {
      const buf = chunk as Buffer;
      seen += buf.length;
      if (head) continue;
      start = Buffer.concat([start, buf]);
      head = readWavHead(start);
      if (head && dl.contentLength !== undefined) return { url, head, dataBytes: wavDataBytes(head, dl.contentLength) };
      if (!head && start.length > MAX_HEAD_BYTES) throw new WavFormatError(`no data chunk in the first ${MAX_HEAD_BYTES} bytes`);
    }
    if (!head) throw new WavFormatError(seen < 12 ? 'not a RIFF/WAVE file' : 'no data chunk');
    return { url, head, dataBytes: wavDataBytes(head, seen) };
  } catch (e) {
    if (e instanceof WavFormatError) throw unjoinable(count, `part ${index}: ${e.message}`, e);
    throw readFailure(dl.signal, e);
  } finally {
    dl.discard();
  }
}

/** The samples of each part in order, after the joined header; the first failure stops it (and `stopped`). */
async function* samples(results: ResultSource, parts: readonly Part[], header: Buffer, stopped: AbortController, signal?: AbortSignal): AsyncGenerator<Buffer> {
  yield header;
  for (const [i, part] of parts.entries()) {
    let dl: OpenedResult | undefined;
    try {
      dl = await results.open(part.url, signal ? { signal } : {});
      let skip = part.head.dataOffset;
      let left = part.dataBytes;
      for await (const chunk of dl.body) {
        let buf = chunk as Buffer;
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          buf = buf.subarray(n);
          skip -= n;
        }
        if (buf.length > left) buf = buf.subarray(0, left);
        left -= buf.length;
        if (buf.length > 0) yield buf;
        if (left === 0) break;
      }
      if (left > 0) throw new DownloadError('transient', 'SourceUnavailable', `part ${i} served ${left} bytes fewer than its first read said`);
    } catch (e) {
      const err = dl ? readFailure(dl.signal, e) : toDownloadError(e);
      stopped.abort(err);
      throw err;
    } finally {
      dl?.discard();
    }
  }
}

/**
 * Opens the parts at `urls` (in order) as one WAV. Throws (or fails the body with) DownloadError: the source's
 * own for a part it could not read, or `refused` (`UnjoinableParts`) when the parts are not WAVs of one format.
 */
export async function openJoinedWav(results: ResultSource, urls: readonly string[], signal?: AbortSignal): Promise<OpenedResult> {
  const parts: Part[] = [];
  for (const [i, url] of urls.entries()) parts.push(await readPart(results, url, i, urls.length, signal));
  const format = parts[0]!.head.format;
  parts.forEach((p, i) => {
    if (!sameFormat(p.head.format, format)) throw unjoinable(urls.length, formatMismatch(i, p.head.format, format));
  });
  const dataBytes = parts.reduce((n, p) => n + p.dataBytes, 0);
  const stopped = new AbortController();
  const body = Readable.from(samples(results, parts, wavHeader(format, dataBytes), stopped, signal), { objectMode: false });
  return {
    body,
    contentType: 'audio/wav',
    contentLength: WAV_HEADER_BYTES + dataBytes,
    signal: signal ? AbortSignal.any([signal, stopped.signal]) : stopped.signal,
    discard: () => {
      if (!body.destroyed) body.destroy();
    },
  };
}
