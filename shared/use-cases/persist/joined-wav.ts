// The source of a speech output synthesised in parts: each part's WAV read in order (each within the result
// source's limits) and joined into one WAV, offered as one result so it is copied and verified like any other.
import { Readable } from 'node:stream';
import { joinWav, WavFormatError } from '../../audio/wav.ts';
import { DownloadError, toDownloadError, type OpenedResult, type ResultSource } from '../../ports/result-source.ts';

async function readPart(results: ResultSource, url: string, signal: AbortSignal | undefined): Promise<Buffer> {
  const dl = await results.open(url, signal ? { signal } : {});
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of dl.body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  } catch (e) {
    throw toDownloadError(dl.signal.reason instanceof DownloadError ? dl.signal.reason : e);
  } finally {
    dl.discard();
  }
}

/**
 * Opens the parts at `urls` (in order) as one WAV. Throws DownloadError: the source's own for a part it could
 * not read, or `refused` (`UnjoinableParts`) when the parts are not WAVs of one format.
 */
export async function openJoinedWav(results: ResultSource, urls: readonly string[], signal?: AbortSignal): Promise<OpenedResult> {
  const files: Buffer[] = [];
  for (const url of urls) files.push(await readPart(results, url, signal));
  let joined: Buffer;
  try {
    joined = joinWav(files);
  } catch (e) {
    if (!(e instanceof WavFormatError)) throw e;
    throw new DownloadError('refused', 'UnjoinableParts', `the ${urls.length} synthesised parts cannot be joined into one WAV: ${e.message}`, { cause: e });
  }
  const done = new AbortController();
  return {
    body: Readable.from([joined], { objectMode: false }),
    contentType: 'audio/wav',
    contentLength: joined.length,
    signal: signal ? AbortSignal.any([signal, done.signal]) : done.signal,
    discard: () => undefined,
  };
}
