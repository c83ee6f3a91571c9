// ObjectStore on Alibaba Cloud OSS over our own V4-signing client (credentials fetched per operation).
//
// Never half-visible: a streamed body goes to a staging key of its own (one PutObject up to a part, multipart
// above), is checked, and only then becomes the object by a server-side copy (CopyObject; UploadPartCopy
// above OSS's 1 GB copy limit) that sets the type and the metadata (sha256 is known only once the body ended)
// with x-oss-forbid-overwrite for create-once; the staging key is deleted afterwards (a bucket lifecycle rule
// on the staging prefix sweeps what a crash leaves). A Buffer, complete from the start, is one PutObject
// straight to the key. User metadata keys come back lowercase, as OSS stores them.
//
// Integrity: every request body is a Buffer sent with its Content-MD5, so OSS refuses a part or object
// damaged or cut short on the way (InvalidDigest); on top, the CRC-64 of everything read from the source is
// compared with the x-oss-hash-crc64ecma OSS reports for the whole object, which also catches a multipart
// assembly that differs from what was sent. MD5 per request because each part is buffered anyway (no second
// pass); CRC-64 for the whole because it is the only whole-object checksum OSS reports for multipart objects.
//
// Create-once under retries: each put carries a random id in `x-oss-meta-put-id`; when OSS answers
// FileAlreadyExists, the existing object is ours (an earlier attempt whose answer was lost) iff it has our id.
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ObjectAlreadyExistsError, ObjectNotFoundError, ObjectStoreError, type ObjectMeta, type ObjectStore, type PutOptions } from '../../ports/object-store.ts';
import { Crc64 } from './crc64.ts';
import { OssClients, type OssClientOptions } from './oss-client.ts';
import { OssFailure } from './oss-failure.ts';
import { uploadStream, type UploadLimits } from './staged-upload.ts';
import { commitCopy, type CopyLimits } from './commit-copy.ts';

export interface OssObjectStoreOptions extends OssClientOptions {
  /** Where streamed bodies wait before they become objects (default STAGING_PREFIX; give it a lifecycle rule). */
  stagingPrefix?: string;
  /** Part size, also the multipart threshold (default 8 MiB, at least 100 KiB). */
  partBytes?: number;
  /** Parts in flight per put (default 2). */
  parallelParts?: number;
  /** Largest object committed by one CopyObject (default and OSS's limit: 1 GB); above, UploadPartCopy ranges. */
  copyLimitBytes?: number;
  /** Range per UploadPartCopy (default 256 MiB). */
  copyPartBytes?: number;
}

/** Where streamed bodies wait by default; DEFAULT_LIFECYCLE_RULES sweeps what a crash leaves there. */
export const STAGING_PREFIX = 'tmp/staging/';

/** User-metadata key the adapter keeps for itself (see the module header); never returned to callers. */
const PUT_ID = 'put-id';
const MAX_URL_TTL_S = 7 * 24 * 3600;

type Headers = Record<string, string | undefined>;

function metaFrom(key: string, headers: Headers): ObjectMeta {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (k.startsWith('x-oss-meta-') && k !== `x-oss-meta-${PUT_ID}` && v !== undefined) metadata[k.slice(11)] = v;
  const etag = headers.etag?.replace(/"/g, '');
  return { key, bytes: Number(headers['content-length'] ?? 0), contentType: headers['content-type'] ?? 'application/octet-stream', metadata, ...(etag ? { etag } : {}) };
}

/** OSS's key rules; a leading '/' would address another object. */
function checkKey(key: string): void {
  const bytes = Buffer.byteLength(key);
  if (bytes < 1 || bytes > 1023 || key.startsWith('/') || key.startsWith('\\')) throw new ObjectStoreError(`invalid object key '${key.slice(0, 200)}': 1 to 1023 bytes, not starting with / or \\`);
}

function mapFailure(e: unknown, key: string): unknown {
  if (!(e instanceof OssFailure)) return e;
  if (e.code === 'FileAlreadyExists') return new ObjectAlreadyExistsError(key);
  if (e.code === 'NoSuchKey') return new ObjectNotFoundError(key);
  const id = e.requestId ? `, request id ${e.requestId}` : '';
  return new ObjectStoreError(`OSS ${e.operation} of ${key} failed: ${e.code} (status ${e.status}${id})`);
}

export class OssObjectStore implements ObjectStore {
  private readonly oss: OssClients;
  private readonly limits: UploadLimits;
  private readonly copyLimits: CopyLimits;
  private readonly stagingPrefix: string;

  constructor(options: OssObjectStoreOptions) {
    try {
      this.oss = new OssClients(options);
    } catch (e) {
      // bucket, region and endpoints are checked once, here: a wrong value is a configuration error
      throw new ObjectStoreError(`invalid OSS configuration: ${(e as Error).message}`);
    }
    this.limits = { partBytes: Math.max(100 * 1024, options.partBytes ?? 8 * 1024 * 1024), parallel: Math.max(1, options.parallelParts ?? 2) };
    this.copyLimits = { copyLimitBytes: options.copyLimitBytes ?? 1024 ** 3, copyPartBytes: Math.max(100 * 1024, options.copyPartBytes ?? 256 * 1024 * 1024), parallel: this.limits.parallel };
    this.stagingPrefix = options.stagingPrefix ?? STAGING_PREFIX;
  }

  async put(key: string, body: Readable | Buffer, options: PutOptions): Promise<ObjectMeta> {
    checkKey(key);
    options.signal?.throwIfAborted();
    const putId = randomUUID();
    try {
      if (Buffer.isBuffer(body)) return await this.putBuffer(key, body, options, putId);
      return await this.putStaged(key, body, options, putId);
    } catch (e) {
      throw mapFailure(e, key);
    }
  }

  async get(key: string): Promise<{ meta: ObjectMeta; body: Readable }> {
    checkKey(key);
    try {
      const r = await this.oss.run('GetObject', 'data', (c) => c.getStream(key));
      return { meta: metaFrom(key, r.headers), body: r.stream };
    } catch (e) {
      throw mapFailure(e, key);
    }
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    checkKey(key);
    try {
      const r = await this.oss.run('HeadObject', 'data', (c) => c.head(key));
      return metaFrom(key, r.headers);
    } catch (e) {
      if (e instanceof OssFailure && e.status === 404) return undefined;
      throw mapFailure(e, key);
    }
  }

  async url(key: string, ttlSeconds: number): Promise<string> {
    checkKey(key);
    const ttl = Math.min(MAX_URL_TTL_S, Math.max(1, Math.floor(ttlSeconds)));
    try {
      return await this.oss.run('SignUrl', 'public', async (c) => c.signUrl('GET', key, ttl));
    } catch (e) {
      throw mapFailure(e, key);
    }
  }

  private headersFor(options: PutOptions, putId: string): Record<string, string> {
    const headers: Record<string, string> = { 'Content-Type': options.contentType, [`x-oss-meta-${PUT_ID}`]: putId };
    // read now, not when put() was called: the caller may complete its metadata (sha256) as the body ends
    for (const [k, v] of Object.entries(options.metadata ?? {})) if (k.toLowerCase() !== PUT_ID) headers[`x-oss-meta-${k.toLowerCase()}`] = v;
    if (options.createOnly) headers['x-oss-forbid-overwrite'] = 'true';
    return headers;
  }

  private async putBuffer(key: string, body: Buffer, options: PutOptions, putId: string): Promise<ObjectMeta> {
    const r = await this.oss.run('PutObject', 'data', (c) => c.put(key, body, this.headersFor(options, putId))).catch((e: unknown) => this.ownedAfterConflict(e, key, putId));
    const stored = r?.headers['x-oss-hash-crc64ecma'];
    if (stored !== undefined && stored !== new Crc64().update(body).digest()) {
      // Content-MD5 makes this all but impossible; if it happens, what this put wrote must not stay visible
      const ours = await this.oss.run('HeadObject', 'data', (c) => c.head(key)).catch(() => undefined);
      if (ours?.headers[`x-oss-meta-${PUT_ID}`] === putId) await this.oss.run('DeleteObject', 'data', (c) => c.delete(key)).catch(() => undefined);
      throw new ObjectStoreError(`OSS stored ${key} with a different CRC-64 than was sent`);
    }
    return this.committed(key, body.length, options, r?.headers.etag);
  }

  private async putStaged(key: string, body: Readable, options: PutOptions, putId: string): Promise<ObjectMeta> {
    const staging = `${this.stagingPrefix}${putId}`;
    let uploaded = false;
    try {
      const sent = await uploadStream(this.oss, staging, body, { 'Content-Type': options.contentType }, this.limits, options.signal);
      uploaded = true;
      if (sent.storedCrc64 !== undefined && sent.storedCrc64 !== sent.crc64) {
        throw new ObjectStoreError(`OSS stored ${sent.bytes} bytes for ${key} with a different CRC-64 than was sent; nothing was written under ${key}`);
      }
      options.signal?.throwIfAborted();
      const etag = await commitCopy(this.oss, staging, key, sent.bytes, this.headersFor(options, putId), this.copyLimits).catch((e: unknown) => this.ownedAfterConflict(e, key, putId));
      return this.committed(key, sent.bytes, options, etag);
    } finally {
      if (uploaded) await this.oss.run('DeleteObject', 'data', (c) => c.delete(staging)).catch(() => undefined);
    }
  }

  /**
   * After FileAlreadyExists (or NoSuchUpload from a retried Complete), resolves (undefined) if the object is
   * this put's own earlier attempt whose answer was lost; else rethrows.
   */
  private async ownedAfterConflict(e: unknown, key: string, putId: string): Promise<undefined> {
    if (!(e instanceof OssFailure && (e.code === 'FileAlreadyExists' || e.code === 'NoSuchUpload'))) throw e;
    const existing = await this.oss.run('HeadObject', 'data', (c) => c.head(key)).catch(() => undefined);
    if (existing?.headers[`x-oss-meta-${PUT_ID}`] === putId) return undefined;
    throw e;
  }

  private committed(key: string, bytes: number, options: PutOptions, etag: string | undefined): ObjectMeta {
    const metadata = Object.fromEntries(Object.entries(options.metadata ?? {}).filter(([k]) => k.toLowerCase() !== PUT_ID).map(([k, v]) => [k.toLowerCase(), v]));
    const clean = etag?.replace(/"/g, '');
    return { key, bytes, contentType: options.contentType, metadata, ...(clean ? { etag: clean } : {}) };
  }
}
