// ObjectStore on a local folder (local mode): objects live at `<dataDir>/oss/<key>`. A put streams into a
// temp file and only then makes it visible, so a failed or aborted put leaves nothing under the key.
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type BigIntStats, type WriteStream } from 'node:fs';
import { link, mkdir, open, readFile, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { systemClock, type Clock } from '../../ports/clock.ts';
import {
  ObjectAlreadyExistsError,
  ObjectNotFoundError,
  ObjectStoreError,
  type ObjectMeta,
  type ObjectStore,
  type PutOptions,
} from '../../ports/object-store.ts';
import { assertObjectKey } from './object-key.ts';
import { checkSignature, loadOrCreateSecret, signObject, type UrlCheck } from './signed-url.ts';

const sidecarSchema = z.object({
  contentType: z.string(),
  metadata: z.record(z.string(), z.string()),
  etag: z.string(),
});

export interface ObjectCreatedEvent {
  /** As OSS names it in event notifications (no `oss:` prefix). */
  eventName: 'ObjectCreated:PutObject';
  meta: ObjectMeta;
  time: Date;
}
/** Inclusive byte offsets, as in an HTTP Range. */
export interface ByteRange {
  start: number;
  end: number;
}

export type ObjectCreatedListener = (event: ObjectCreatedEvent) => void;

export interface LocalFsObjectStoreOptions {
  /** The data dir; objects go under `oss/`, sidecars under `oss-meta/`, partial writes under `oss-tmp/`. */
  dataDir: string;
  /** Origin the runtime serves `/_oss/*` on, read at url() time (the port is known only after listen). */
  publicBaseUrl: () => string;
  clock?: Clock;
}

const isErrno = (e: unknown, ...codes: string[]): boolean => codes.includes(String((e as NodeJS.ErrnoException | undefined)?.code));
const identity = (s: BigIntStats): string => `${s.ino}-${s.mtimeNs}`;

export class LocalFsObjectStore implements ObjectStore {
  private readonly objectsDir: string;
  private readonly metaDir: string;
  private readonly tmpDir: string;
  private readonly secret: Buffer;
  private readonly clock: Clock;
  private readonly listeners = new Set<ObjectCreatedListener>();

  constructor(private readonly options: LocalFsObjectStoreOptions) {
    this.objectsDir = join(options.dataDir, 'oss');
    this.metaDir = join(options.dataDir, 'oss-meta');
    this.tmpDir = join(options.dataDir, 'oss-tmp');
    this.secret = loadOrCreateSecret(join(options.dataDir, 'oss-url.secret'));
    this.clock = options.clock ?? systemClock;
  }

  async put(key: string, body: Readable | Buffer, options: PutOptions): Promise<ObjectMeta> {
    assertObjectKey(key);
    options.signal?.throwIfAborted();
    await mkdir(this.tmpDir, { recursive: true });
    const tmp = join(this.tmpDir, randomUUID());
    let bytes = 0;
    let sidecar: string | undefined;
    let file: WriteStream | undefined;
    try {
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      file = createWriteStream(tmp, { flags: 'wx' });
      await pipeline(source, meter, file, { signal: options.signal });
      const meta: ObjectMeta = { key, bytes, contentType: options.contentType, metadata: { ...(options.metadata ?? {}) }, etag: writeEtag(tmp, bytes) };
      // named after the body file's identity (inode + mtime) and written before the body becomes visible:
      // a reader always finds the metadata of exactly the body it opened
      sidecar = this.sidecarPath(key, identity(await stat(tmp, { bigint: true })));
      await mkdir(dirname(sidecar), { recursive: true });
      await writeFile(sidecar, JSON.stringify({ contentType: meta.contentType, metadata: meta.metadata, etag: meta.etag }));
      options.signal?.throwIfAborted();
      await this.commit(key, tmp, options.createOnly === true);
      sidecar = undefined;
      this.emit(meta);
      return meta;
    } catch (e) {
      // pipeline rejects as soon as the source fails, while the file may still be opening: removed before it
      // exists, it would be created afterwards and left behind
      if (file && !file.closed) await once(file, 'close').catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      if (sidecar) await unlink(sidecar).catch(() => undefined);
      if (e instanceof ObjectStoreError || !(e as NodeJS.ErrnoException)?.syscall) throw e;
      throw new ObjectStoreError(`could not store ${key}: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * `slice` picks, from the object's size, the inclusive byte range to stream (undefined: all of it); it is
   * asked about the very file that is streamed, so a concurrent overwrite cannot shift the range.
   */
  async get(key: string, slice?: (bytes: number) => ByteRange | undefined): Promise<{ meta: ObjectMeta; body: Readable; range?: ByteRange }> {
    assertObjectKey(key);
    let fh: FileHandle;
    try {
      fh = await open(this.objectPath(key), 'r');
    } catch (e) {
      if (isErrno(e, 'ENOENT', 'ENOTDIR', 'EISDIR')) throw new ObjectNotFoundError(key);
      throw e;
    }
    try {
      const s = await fh.stat({ bigint: true });
      if (!s.isFile()) throw new ObjectNotFoundError(key);
      const meta = await this.readMeta(key, s);
      const range = slice?.(meta.bytes);
      if (range) return { meta, range, body: fh.createReadStream({ start: range.start, end: range.end, autoClose: true }) };
      return { meta, body: fh.createReadStream({ start: 0, autoClose: true }) };
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    assertObjectKey(key);
    let s: BigIntStats;
    try {
      s = await stat(this.objectPath(key), { bigint: true });
    } catch (e) {
      if (isErrno(e, 'ENOENT', 'ENOTDIR')) return undefined;
      throw e;
    }
    return s.isFile() ? this.readMeta(key, s) : undefined;
  }

  async url(key: string, ttlSeconds: number): Promise<string> {
    assertObjectKey(key);
    const expires = Math.floor(this.clock.now().getTime() / 1000) + Math.max(1, Math.floor(ttlSeconds));
    const base = this.options.publicBaseUrl().replace(/\/+$/, '');
    return `${base}/_oss/${key}?Expires=${expires}&Signature=${signObject(this.secret, key, expires)}`;
  }

  /** Checks a URL made by url(): 'ok', 'expired' or 'invalid' (wrong key, expiry or signature). */
  verifyUrl(key: string, expires: string | null, signature: string | null): UrlCheck {
    return checkSignature(this.secret, key, expires, signature, this.clock.now().getTime());
  }

  /** Calls `listener` after every successful put (the runtime turns these into OSS trigger events). */
  onObjectCreated(listener: ObjectCreatedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async commit(key: string, tmp: string, createOnly: boolean): Promise<void> {
    const target = this.objectPath(key);
    await mkdir(dirname(target), { recursive: true }).catch((e: unknown) => {
      throw isErrno(e, 'ENOTDIR', 'EEXIST') ? new ObjectStoreError(`key ${key} is below an existing object`, { cause: e }) : e;
    });
    // link() for create-only is atomic (EEXIST: another writer won); rename() for overwrite
    if (createOnly) {
      try {
        await link(tmp, target);
      } catch (e) {
        if (isErrno(e, 'EEXIST')) throw new ObjectAlreadyExistsError(key);
        throw e;
      }
      await unlink(tmp);
      return;
    }
    const previous = await stat(target, { bigint: true }).catch(() => undefined);
    try {
      await rename(tmp, target);
    } catch (e) {
      if (isErrno(e, 'EISDIR', 'ENOTEMPTY')) throw new ObjectStoreError(`key ${key} is a prefix of other objects`, { cause: e });
      throw e;
    }
    if (previous?.isFile()) await unlink(this.sidecarPath(key, identity(previous))).catch(() => undefined);
  }

  private async readMeta(key: string, s: BigIntStats): Promise<ObjectMeta> {
    const bytes = Number(s.size);
    try {
      const side = sidecarSchema.parse(JSON.parse(await readFile(this.sidecarPath(key, identity(s)), 'utf8')));
      return { key, bytes, contentType: side.contentType, metadata: side.metadata, etag: side.etag };
    } catch (e) {
      // A file dropped into the folder by hand has no sidecar: serve it as opaque bytes.
      if (isErrno(e, 'ENOENT')) return { key, bytes, contentType: 'application/octet-stream', metadata: {} };
      throw new ObjectStoreError(`metadata of ${key} is unreadable`, { cause: e });
    }
  }

  private emit(meta: ObjectMeta): void {
    const event: ObjectCreatedEvent = { eventName: 'ObjectCreated:PutObject', meta, time: this.clock.now() };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own (the runtime handles delivery errors); the put already succeeded.
      }
    }
  }

  private objectPath(key: string): string {
    return join(this.objectsDir, key);
  }

  private sidecarPath(key: string, id: string): string {
    return join(this.metaDir, `${key}.${id}.json`);
  }
}

/**
 * A new opaque ETag per write, as OSS's changes whenever content changes. Not an MD5 of the content: hashing
 * every byte again would cost more CPU than the copy itself, and nothing compares ETags with content hashes
 * (integrity is checked with the sha256 the writer records in the metadata).
 */
function writeEtag(tmpPath: string, bytes: number): string {
  return createHash('sha1').update(`${tmpPath}:${bytes}:${process.hrtime.bigint()}`).digest('hex').slice(0, 32).toUpperCase();
}
