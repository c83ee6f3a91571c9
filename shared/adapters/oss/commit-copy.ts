// Makes a checked staging object the real one by a server-side copy that sets type, metadata and
// x-oss-forbid-overwrite: CopyObject up to OSS's 1 GB copy limit, a multipart copy (UploadPartCopy) above it.
import type { OssClients } from './oss-client.ts';

export interface CopyLimits {
  /** Largest object copied by one CopyObject (OSS: 1 GB). */
  copyLimitBytes: number;
  /** Range per UploadPartCopy above that. */
  copyPartBytes: number;
  parallel: number;
}

/** Copies `staging` (of `bytes`) to `key` with `headers`; returns the new object's ETag. Throws OssFailure. */
export async function commitCopy(oss: OssClients, staging: string, key: string, bytes: number, headers: Record<string, string>, limits: CopyLimits): Promise<string | undefined> {
  const source = `/${oss.bucket}/${encodeURIComponent(staging)}`;
  if (bytes <= limits.copyLimitBytes) {
    return oss.run('CopyObject', 'data', (c) => c.copyObject(key, source, { ...headers, 'x-oss-metadata-directive': 'REPLACE' }));
  }
  // the new object's type and metadata are set when the upload starts; forbid-overwrite is checked at Complete
  const { uploadId } = await oss.run('InitiateMultipartUpload', 'data', (c) => c.initMultipartUpload(key, headers));
  try {
    const ranges: { number: number; start: number; end: number }[] = [];
    for (let start = 0, n = 1; start < bytes; start += limits.copyPartBytes, n++) ranges.push({ number: n, start, end: Math.min(bytes, start + limits.copyPartBytes) - 1 });
    const parts: { number: number; etag: string }[] = [];
    const copyPart = async (range: (typeof ranges)[number]): Promise<void> => {
      const etag = await oss.run('UploadPartCopy', 'data', (c) => c.uploadPartCopy(key, uploadId, range.number, source, range));
      parts.push({ number: range.number, etag });
    };
    for (let i = 0; i < ranges.length; i += limits.parallel) await Promise.all(ranges.slice(i, i + limits.parallel).map(copyPart));
    const forbid = headers['x-oss-forbid-overwrite'];
    const r = await oss.run('CompleteMultipartUpload', 'data', (c) => c.completeMultipartUpload(key, uploadId, parts, forbid ? { 'x-oss-forbid-overwrite': forbid } : {}));
    return r.etag;
  } catch (e) {
    await oss.run('AbortMultipartUpload', 'data', (c) => c.abortMultipartUpload(key, uploadId)).catch(() => undefined);
    throw e;
  }
}
