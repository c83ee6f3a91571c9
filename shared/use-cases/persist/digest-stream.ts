// A pass-through stream that measures what flows through it (byte count, sha256) as it streams, keeping only
// the first bytes (for sniffing); past its size cap it fails at once, so an oversized download lands nowhere.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DownloadError } from '../../ports/result-source.ts';

export interface DigestResult {
  bytes: number;
  sha256: string;
}

export class DigestStream extends Transform {
  #hash: Hash = createHash('sha256');
  #bytes = 0;
  #head: Buffer[] = [];
  #headBytes = 0;
  #result: DigestResult | undefined;
  #resolveHead!: (head: Buffer) => void;
  #rejectHead!: (err: Error) => void;
  /** The first `headBytes` bytes (fewer if the body is shorter); rejects if the stream fails first. */
  readonly head: Promise<Buffer>;

  constructor(
    private readonly maxBytes: number,
    private readonly headBytes = 16,
    /** Called with the result before the end of the body is passed on (so a consumer sees it at its end). */
    private readonly onResult?: (result: DigestResult) => void,
  ) {
    // Chunks from the socket are up to 64 KiB; a larger buffer than the 16 KiB default avoids a pause per chunk.
    super({ highWaterMark: 1024 * 1024 });
    this.head = new Promise<Buffer>((resolve, reject) => {
      this.#resolveHead = resolve;
      this.#rejectHead = reject;
    });
    // The head promise may be abandoned when the caller fails for another reason; never let it go unhandled.
    this.head.catch(() => undefined);
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Size and sha256 of the whole body; undefined until the body ended. */
  get result(): DigestResult | undefined {
    return this.#result;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.maxBytes) {
      done(new DownloadError('refused', 'TooLarge', `result is larger than the ${this.maxBytes}-byte limit`));
      return;
    }
    this.#hash.update(chunk);
    if (this.#headBytes < this.headBytes) {
      const take = chunk.subarray(0, this.headBytes - this.#headBytes);
      this.#head.push(Buffer.from(take));
      this.#headBytes += take.length;
      if (this.#headBytes >= this.headBytes) this.#resolveHead(Buffer.concat(this.#head));
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.#result = { bytes: this.#bytes, sha256: this.#hash.digest('hex') };
    this.onResult?.(this.#result);
    this.#resolveHead(Buffer.concat(this.#head));
    done();
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    this.#rejectHead(err ?? new Error('stream closed before its first bytes'));
    done(err);
  }
}
