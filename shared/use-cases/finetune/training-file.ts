// A fine-tune training file in the bucket: whose it is (a tenant uses keys under its own `inbox/<tenant>/`,
// an admin any key), and its bytes read only once its size is known to fit.
import type { Principal } from '../../domain/tenant.ts';
import type { ObjectStore } from '../../ports/object-store.ts';
import { clip } from '../../text/clip.ts';
import { InvalidRequestError, LimitExceededError } from '../../validation/request-errors.ts';

/** The largest training file taken (read whole to check and to upload; DashScope's own cap is not published). */
export const FINE_TUNE_MAX_FILE_BYTES = 32 * 1024 * 1024;
export const TRAINING_FILE_KEY_MAX_CHARS = 1_023;

/** No training file under this key for this caller (another tenant's key says exactly the same). */
export class TrainingFileNotFoundError extends Error {
  override name = 'TrainingFileNotFoundError';
  readonly code = 'file_not_found';
  readonly param = 'training_file';
  constructor(readonly key: string) {
    super(`no training file '${clip(key)}' in the bucket`);
  }
}

/** A bucket key as written: no empty, `.` or `..` segment, no leading `/`, no backslash (nothing that names another key). */
export function isPlainKey(key: string): boolean {
  return !key.includes('\\') && key.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** Whether `viewer` may train on the object `key`: its tenant's inbox, or anything for an admin; never a key with `..`. */
export function mayUseTrainingFile(viewer: Pick<Principal, 'tenant' | 'role'>, key: string): boolean {
  return isPlainKey(key) && (viewer.role === 'admin' || key.startsWith(`inbox/${viewer.tenant}/`));
}

/** Reads a training file, refusing an empty one or one over the cap by its stored size before any byte is read. */
export async function readTrainingFile(objects: Pick<ObjectStore, 'head' | 'get'>, key: string, param = 'training_file'): Promise<Buffer> {
  const meta = await objects.head(key);
  if (!meta) throw new TrainingFileNotFoundError(key);
  if (meta.bytes === 0) throw new InvalidRequestError('empty_file', `${param}: the file is empty (0 bytes)`, param);
  if (meta.bytes > FINE_TUNE_MAX_FILE_BYTES) {
    throw new LimitExceededError('file_too_large', `${param}: the file is ${meta.bytes} bytes; at most ${FINE_TUNE_MAX_FILE_BYTES} bytes are accepted`, param);
  }
  const { body } = await objects.get(key);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    // the object may have been replaced by a larger one since the head
    if (size > FINE_TUNE_MAX_FILE_BYTES) throw new LimitExceededError('file_too_large', `${param}: the file is over ${FINE_TUNE_MAX_FILE_BYTES} bytes`, param);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
