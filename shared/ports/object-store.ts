// ObjectStore: the app's bucket (OSS in the cloud, a folder locally). Media objects are created once
// (never overwritten), streamed in and out, and handed to apps through URLs they can fetch.
import type { Readable } from 'node:stream';

export class ObjectStoreError extends Error {
  override name = 'ObjectStoreError';
}
export class ObjectAlreadyExistsError extends ObjectStoreError {
  override name = 'ObjectAlreadyExistsError';
  constructor(readonly key: string) {
    super(`object ${key} already exists`);
  }
}
export class ObjectNotFoundError extends ObjectStoreError {
  override name = 'ObjectNotFoundError';
  constructor(readonly key: string) {
    super(`object ${key} not found`);
  }
}

export interface ObjectMeta {
  key: string;
  bytes: number;
  contentType: string;
  /** User metadata (x-oss-meta-*), e.g. sha256. */
  metadata: Record<string, string>;
  etag?: string;
}

export interface PutOptions {
  contentType: string;
  metadata?: Record<string, string>;
  /** true: fail with ObjectAlreadyExistsError if the key exists (x-oss-forbid-overwrite). */
  createOnly?: boolean;
  signal?: AbortSignal;
}

export interface ObjectStore {
  /** Streams `body` into `key`. Nothing is visible under `key` unless the whole body arrived. */
  put(key: string, body: Readable | Buffer, options: PutOptions): Promise<ObjectMeta>;
  get(key: string): Promise<{ meta: ObjectMeta; body: Readable }>;
  /** undefined when absent. */
  head(key: string): Promise<ObjectMeta | undefined>;
  /** A URL the app can GET for `ttlSeconds` (signed in the cloud, served by the runtime locally). */
  url(key: string, ttlSeconds: number): Promise<string>;
}
