// Streams a body into one (staging) key, a part-sized buffer at a time: a body that fits one part is a single
// PutObject, a larger one a multipart upload with a few parts in flight. Memory stays at (parallel+1) parts.
import type { Readable } from 'node:stream';
import { Crc64 } from './crc64.ts';
import type { OssClients } from './oss-client.ts';
import { OssFailure } from './oss-failure.ts';

export interface UploadLimits {
  /** Part size and multipart threshold (OSS: at least 100 KiB). */
  partBytes: number;
  /** Parts uploaded at once. */
  parallel: number;
}

export interface Uploaded {
  bytes: number;
  /** CRC-64 of what this process sent, to compare with what OSS says it stored. */
  crc64: string;
  /** What OSS answered for the stored object (undefined if it did not say). */
  storedCrc64: string | undefined;
}

/** Yields the body in buffers of exactly `size` bytes (the last one shorter, never empty unless the body is). */
async function* parts(body: Readable, size: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of body) {
    signal?.throwIfAborted();
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    while (pendingBytes + buf.length >= size) {
      const take = size - pendingBytes;
      pending.push(buf.subarray(0, take));
      yield Buffer.concat(pending, size);
      buf = buf.subarray(take);
      pending = [];
      pendingBytes = 0;
    }
    if (buf.length > 0) {
      pending.push(buf);
      pendingBytes += buf.length;
    }
  }
  signal?.throwIfAborted();
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

/** Uploads `body` to `key` (overwriting: staging keys are this call's own). Leaves nothing behind on failure. */
export async function uploadStream(oss: OssClients, key: string, body: Readable, headers: Record<string, string>, limits: UploadLimits, signal?: AbortSignal): Promise<Uploaded> {
  const crc = new Crc64();
  let bytes = 0;
  const source = parts(body, limits.partBytes, signal)[Symbol.asyncIterator]();
  const next = async (): Promise<Buffer | undefined> => {
    const r = await source.next();
    if (r.done) return undefined;
    crc.update(r.value);
    bytes += r.value.length;
    return r.value;
  };
  try {
    const first = (await next()) ?? Buffer.alloc(0);
    const second = first.length === limits.partBytes ? await next() : undefined;
    if (!second) {
      // every body goes with its Content-MD5: OSS refuses one that arrives damaged
      const r = await oss.run('PutObject', 'data', (c) => c.put(key, first, headers));
      return { bytes, crc64: crc.digest(), storedCrc64: r.headers['x-oss-hash-crc64ecma'] };
    }
    return await multipart(oss, key, headers, limits, first, second, next, () => ({ bytes, crc64: crc.digest() }));
  } finally {
    // stop reading a body that is no longer wanted (the generator's return releases the source stream)
    await source.return?.(undefined).catch(() => undefined);
  }
}

async function multipart(
  oss: OssClients,
  key: string,
  headers: Record<string, string>,
  limits: UploadLimits,
  first: Buffer,
  second: Buffer,
  next: () => Promise<Buffer | undefined>,
  sent: () => { bytes: number; crc64: string },
): Promise<Uploaded> {
  const { uploadId } = await oss.run('InitiateMultipartUpload', 'data', (c) => c.initMultipartUpload(key, headers));
  const done: { number: number; etag: string }[] = [];
  const inFlight = new Set<Promise<void>>();
  let failed: unknown;
  const send = (number: number, content: Buffer): void => {
    // the part goes with its Content-MD5: a part damaged on the way is refused, not stored
    const p = oss
      .run('UploadPart', 'data', async (c) => {
        done.push({ number, etag: await c.uploadPart(key, uploadId, number, content) });
      })
      .catch((e: unknown) => {
        failed ??= e;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  try {
    send(1, first);
    let number = 2;
    for (let part: Buffer | undefined = second; part; part = await next()) {
      while (inFlight.size >= limits.parallel) await Promise.race(inFlight);
      if (failed) throw failed;
      send(number++, part);
    }
    await Promise.all(inFlight);
    if (failed) throw failed;
    const stored = await oss
      .run('CompleteMultipartUpload', 'data', async (c) => (await c.completeMultipartUpload(key, uploadId, done)).headers)
      .catch(async (e: unknown) => {
        // a retried Complete whose first answer was lost finds the upload gone: the staging key (ours alone) tells
        if (!(e instanceof OssFailure && e.code === 'NoSuchUpload')) throw e;
        const head = await oss.run('HeadObject', 'data', (c) => c.head(key)).catch(() => undefined);
        if (!head) throw e;
        return head.headers;
      });
    return { ...sent(), storedCrc64: stored['x-oss-hash-crc64ecma'] };
  } catch (e) {
    await Promise.allSettled(inFlight);
      await oss.run('AbortMultipartUpload', 'data', (c) => c.abortMultipartUpload(key, uploadId)).catch(() => undefined);
    throw e;
  }
}
