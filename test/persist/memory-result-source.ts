// A ResultSource served from memory, for persist tests about what the source answers rather than how it is
// reached: each URL maps to bytes, to a DownloadError thrown on open, or to bytes cut by an error mid-body.
import { Readable } from 'node:stream';
import { DownloadError, toDownloadError, type OpenedResult, type OpenResultOptions, type ResultSource } from '../../shared/ports/result-source.ts';

export type MemoryResult =
  | { bytes: Buffer; contentType?: string }
  | { fails: DownloadError }
  | { bytes: Buffer; contentType?: string; breaksAfter: number; with: DownloadError };

export class MemoryResultSource implements ResultSource {
  constructor(private readonly results: Record<string, MemoryResult>) {}

  async open(url: string, options: OpenResultOptions = {}): Promise<OpenedResult> {
    const result = this.results[url];
    if (!result) throw new DownloadError('status', 'SourceStatus', 'source answered 404', { status: 404, url });
    if ('fails' in result) throw result.fails;
    const { signal } = options;
    if (signal?.aborted) throw toDownloadError(signal.reason);
    const stopped = new AbortController();
    const stop = () => stopped.abort(toDownloadError(signal?.reason));
    signal?.addEventListener('abort', stop, { once: true });
    const body =
      'breaksAfter' in result
        ? Readable.from(
            (async function* () {
              yield result.bytes.subarray(0, result.breaksAfter);
              throw result.with;
            })(),
            { objectMode: false },
          )
        : Readable.from([result.bytes], { objectMode: false });
    return {
      body,
      contentType: result.contentType,
      contentLength: result.bytes.length,
      signal: stopped.signal,
      discard: () => {
        signal?.removeEventListener('abort', stop);
        body.on('error', () => undefined);
        body.destroy();
      },
    };
  }
}
