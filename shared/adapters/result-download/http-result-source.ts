// The ResultSource over HTTP(S): opens a result URL through the SSRF-safe downloader (safe-download.ts), caps
// the body at the configured size while it streams, and speaks only DownloadError, however the read failed.
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { DownloadError, toDownloadError, type OpenedResult, type OpenResultOptions, type ResultSource } from '../../ports/result-source.ts';
import { discard, openDownload, type DownloadOptions } from './safe-download.ts';

/** Passes the body through, failing it once it passes `maxBytes`; any failure leaves it as a DownloadError. */
class CappedBody extends Transform {
  #bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly explain: (err: unknown) => DownloadError,
  ) {
    // Socket chunks are up to 64 KiB; a buffer well above that keeps this hop from pausing the flow per chunk.
    super({ highWaterMark: 1024 * 1024 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#bytes += chunk.length;
    // A missing or lying Content-Length is only caught here, while the bytes stream.
    if (this.#bytes > this.maxBytes) done(new DownloadError('refused', 'TooLarge', `result is larger than the ${this.maxBytes}-byte limit`));
    else done(null, chunk);
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    done(err ? this.explain(err) : null);
  }
}

export class HttpResultSource implements ResultSource {
  constructor(private readonly options: DownloadOptions) {}

  async open(url: string, options: OpenResultOptions = {}): Promise<OpenedResult> {
    const dl = await openDownload(url, this.options, options.signal);
    // Judged when the failure happens: after the deadline, a torn socket is the timeout's doing.
    const explain = (err: unknown): DownloadError => toDownloadError(err, dl.timedOut());
    const body = new CappedBody(this.options.maxBytes, explain);
    // The source's failure reaches the consumer through `body` (explained); nothing to do with it here.
    pipeline(dl.body, body, () => undefined);
    const stopped = new AbortController();
    const stop = () => stopped.abort(explain(dl.signal.reason));
    if (dl.signal.aborted) stop();
    else dl.signal.addEventListener('abort', stop, { once: true });
    return {
      body,
      contentType: dl.contentType,
      contentLength: dl.contentLength,
      signal: stopped.signal,
      discard: () => {
        dl.signal.removeEventListener('abort', stop);
        discard(body);
        discard(dl.body);
        dl.close();
      },
    };
  }
}
