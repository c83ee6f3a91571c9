// Copies a result URL into the bucket, streamed: source → DigestStream (sha256, size) → create-only put.
// An object already under the key (an earlier delivery) is verified and reused, never overwritten.
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream';
import { ObjectAlreadyExistsError, type ObjectMeta, type ObjectStore } from '../../ports/object-store.ts';
import { DownloadError, toDownloadError, type ResultSource } from '../../ports/result-source.ts';
import { DigestStream, type DigestResult } from './digest-stream.ts';
import { openJoinedWav } from './joined-wav.ts';
import { mediaKey } from './media-key.ts';
import { detectMedia, SNIFF_BYTES } from './media-type.ts';
import { PersistIntegrityError } from './persist-errors.ts';

export interface CopyDeps {
  objects: ObjectStore;
  results: ResultSource;
}

export interface CopyRequest {
  taskId: string;
  /** The task's createdAt: fixes the date part of the key across deliveries. */
  taskCreatedAt: string;
  index: number;
  url: string;
  /** A speech output synthesised in parts: these WAVs joined in order are the output (`url` is not read). */
  parts?: readonly string[];
  signal?: AbortSignal;
}

export interface CopiedOutput {
  key: string;
  contentType: string;
  bytes: number;
  sha256: string;
  /** true when the object was already there (an earlier delivery) and matched. */
  reused: boolean;
}

/** Reads a user-metadata value whatever case the store returns keys in (OSS lowercases x-oss-meta-*). */
export function metaValue(meta: ObjectMeta, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(meta.metadata ?? {})) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/** sha256 of a stored object, read back as a stream (only when its metadata cannot vouch for it). */
async function hashStored(objects: ObjectStore, key: string): Promise<DigestResult> {
  const { body } = await objects.get(key);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    bytes += buf.length;
    hash.update(buf);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Checks that the object under `key` holds exactly `expected` (size, sha256) and belongs to `taskId`.
 * Uses the object's sha256 metadata when present; without it, `deep` re-reads the object to hash it
 * (an object this process did not just write). Throws PersistIntegrityError.
 */
export async function verifyStored(
  objects: ObjectStore,
  key: string,
  meta: ObjectMeta,
  expected: DigestResult,
  taskId: string,
  deep: boolean,
): Promise<void> {
  const owner = metaValue(meta, 'sourceTaskId');
  if (owner !== undefined && owner !== taskId) throw new PersistIntegrityError(key, `object belongs to task ${owner}`);
  if (meta.bytes !== expected.bytes) throw new PersistIntegrityError(key, `object has ${meta.bytes} bytes, expected ${expected.bytes}`);
  const recorded = metaValue(meta, 'sha256') ?? (deep ? (await hashStored(objects, key)).sha256 : undefined);
  if (recorded !== undefined && recorded !== expected.sha256) {
    throw new PersistIntegrityError(key, `object sha256 ${recorded} differs from ${expected.sha256}`);
  }
}

async function drain(stream: DigestStream): Promise<DigestResult> {
  for await (const _chunk of stream) {
    // only the digest is wanted
  }
  if (!stream.result) throw new Error('digest stream ended without a result');
  return stream.result;
}

/** Copies (or verifies) one output. Throws DownloadError, PersistIntegrityError, or the store's error. */
export async function copyOutput(deps: CopyDeps, req: CopyRequest): Promise<CopiedOutput> {
  const dl = req.parts ? await openJoinedWav(deps.results, req.parts, req.signal) : await deps.results.open(req.url, { signal: req.signal });
  // sha256 is only known once the body ended: the digest completes the metadata before the store can see
  // the end of the body, so a store that commits metadata with the object records it. No cap of its own:
  // the source fails a body past its limit (TooLarge).
  const metadata: Record<string, string> = { sourceTaskId: req.taskId };
  const digest = new DigestStream(Number.POSITIVE_INFINITY, SNIFF_BYTES, (r) => {
    metadata.sha256 = r.sha256;
  });
  let streamError: unknown;
  pipeline(dl.body, digest, (err) => {
    if (err) streamError ??= err;
  });
  // A stream torn down by the store (aborted on dl.signal) says nothing; the reason the source stopped does.
  const explain = (err: unknown): DownloadError =>
    err instanceof DownloadError ? err : dl.signal.reason instanceof DownloadError ? dl.signal.reason : toDownloadError(err);
  // The body's own failure (reset, cap, timeout) explains a failed put better than the store's wrapper of it.
  const failure = (err: unknown): unknown => (streamError !== undefined ? explain(streamError) : err);
  try {
    const head = await digest.head.catch((err: unknown) => {
      throw explain(streamError ?? err);
    });
    // the type comes from the first bytes, so the key is known before anything is written
    const media = detectMedia(head, dl.contentType);
    const key = mediaKey(req.taskCreatedAt, req.taskId, req.index, media.ext);
    const base = { key, contentType: media.contentType };

    const existing = await deps.objects.head(key);
    if (existing) {
      const streamed = await drain(digest).catch((err: unknown) => {
        throw failure(err);
      });
      await verifyStored(deps.objects, key, existing, streamed, req.taskId, true);
      return { ...base, ...streamed, reused: true };
    }

    try {
      await deps.objects.put(key, digest, { contentType: media.contentType, metadata, createOnly: true, signal: dl.signal });
    } catch (err) {
      if (!(err instanceof ObjectAlreadyExistsError)) throw failure(err);
      // A concurrent delivery committed first: verify against it if this body can still be read to the end.
      const streamed = digest.result ?? (digest.destroyed ? undefined : await drain(digest).catch(() => undefined));
      const now = await deps.objects.head(key);
      if (!streamed || !now) throw failure(err);
      await verifyStored(deps.objects, key, now, streamed, req.taskId, true);
      return { ...base, ...streamed, reused: true };
    }
    const streamed = digest.result;
    const stored = await deps.objects.head(key);
    if (!streamed) throw new PersistIntegrityError(key, 'the store accepted the object before its body ended');
    if (!stored) throw new PersistIntegrityError(key, 'object is missing right after it was written');
    await verifyStored(deps.objects, key, stored, streamed, req.taskId, false);
    return { ...base, ...streamed, reused: false };
  } finally {
    dl.discard();
  }
}
