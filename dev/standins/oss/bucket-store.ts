// The OSS stand-in's storage: bodies as files under a folder, the index (key → body file and metadata) in
// memory. A write lands in its own file first and becomes visible by one index update, as on OSS.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { OssError } from './wire.ts';

export interface StoredObject {
  file: string;
  size: number;
  contentType: string;
  meta: Record<string, string>;
  etag: string;
  crc64: string;
  type: 'Normal' | 'Multipart';
  lastModified: Date;
}

export interface Upload {
  bucket: string;
  key: string;
  contentType: string;
  meta: Record<string, string>;
  parts: Map<number, { file: string; size: number; etag: string }>;
}

export interface BucketInfo {
  created: Date;
  acl: string;
  storageClass: string;
  /** The lifecycle rules as received (`<Rule>` elements), absent when none is set. */
  lifecycle?: string[];
}

export class BucketStore {
  private readonly objects = new Map<string, Map<string, StoredObject>>();
  readonly info = new Map<string, BucketInfo>();
  readonly uploads = new Map<string, Upload>();

  constructor(
    readonly dir: string,
    buckets: string[],
  ) {
    mkdirSync(dir, { recursive: true });
    for (const b of buckets) this.create(b, 'private', 'Standard');
  }

  create(name: string, acl: string, storageClass: string): void {
    this.objects.set(name, new Map());
    this.info.set(name, { created: new Date(), acl, storageClass });
  }

  has(name: string): boolean {
    return this.objects.has(name);
  }

  bucketInfo(name: string): BucketInfo {
    this.bucket(name);
    return this.info.get(name)!;
  }

  /** A fresh file name for a body being received. */
  newFile(): string {
    return join(this.dir, randomUUID());
  }

  bucket(name: string): Map<string, StoredObject> {
    const b = this.objects.get(name);
    if (!b) throw new OssError(404, 'NoSuchBucket', 'The specified bucket does not exist.', { BucketName: name });
    return b;
  }

  get(bucket: string, key: string): StoredObject {
    const o = this.bucket(bucket).get(key);
    if (!o) throw new OssError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
    return o;
  }

  /** Makes `object` visible under `key`; with forbidOverwrite, refuses (and drops the body) if taken. */
  async commit(bucket: string, key: string, object: StoredObject, forbidOverwrite: boolean): Promise<void> {
    const b = this.bucket(bucket);
    const previous = b.get(key);
    if (previous && forbidOverwrite) {
      await unlink(object.file).catch(() => undefined);
      throw new OssError(409, 'FileAlreadyExists', 'The object you specified already exists and can not be overwritten.');
    }
    b.set(key, object);
    // a reader streaming the old body keeps its open descriptor; the name goes now
    if (previous && previous.file !== object.file) await unlink(previous.file).catch(() => undefined);
  }

  async delete(bucket: string, key: string): Promise<void> {
    const b = this.bucket(bucket);
    const o = b.get(key);
    b.delete(key);
    if (o) await unlink(o.file).catch(() => undefined);
  }

  keys(bucket: string): string[] {
    return [...this.bucket(bucket).keys()].sort();
  }
}
