// Makes a checked staging object the real one by a server-side copy that sets type, metadata and
// x-oss-forbid-overwrite: CopyObject up to OSS's 1 GB copy limit, a multipart copy (UploadPartCopy) above it.
import type OSS from 'ali-oss';
import { OssFailure, type OssClients } from './oss-client.ts';

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
    const r = await oss.run('CopyObject', 'data', (c) => {
      const params = c._objectRequestParams('PUT', key, { headers: { ...headers, 'x-oss-copy-source': source, 'x-oss-metadata-directive': 'REPLACE' } });
      return c.request({ ...params, successStatuses: [200], xmlResponse: true });
    });
    return r.headers.etag;
  }
  // the new object's type and metadata are set when the upload starts; forbid-overwrite is checked at Complete
  const { uploadId } = await oss.run('InitiateMultipartUpload', 'data', (c) => c.initMultipartUpload(key, { headers }));
  try {
    const ranges: { number: number; start: number; end: number }[] = [];
    for (let start = 0, n = 1; start < bytes; start += limits.copyPartBytes, n++) ranges.push({ number: n, start, end: Math.min(bytes, start + limits.copyPartBytes) - 1 });
    const parts: { number: number; etag: string }[] = [];
    const copyPart = async (range: (typeof ranges)[number]): Promise<void> => {
      const etag = await oss.run('UploadPartCopy', 'data', async (c: OSS) => {
        const params = c._objectRequestParams('PUT', key, {
          subres: { partNumber: range.number, uploadId },
          headers: { 'x-oss-copy-source': source, 'x-oss-copy-source-range': `bytes=${range.start}-${range.end}` },
        });
        const r = await c.request({ ...params, successStatuses: [200], xmlResponse: true });
        const tag = (r.data as { ETag?: unknown } | undefined)?.ETag ?? r.headers.etag;
        if (typeof tag !== 'string') throw new OssFailure('UploadPartCopy', r.status, 'MissingETag', r.headers['x-oss-request-id']);
        return tag;
      });
      parts.push({ number: range.number, etag });
    };
    for (let i = 0; i < ranges.length; i += limits.parallel) await Promise.all(ranges.slice(i, i + limits.parallel).map(copyPart));
    const forbid = headers['x-oss-forbid-overwrite'];
    const r = await oss.run('CompleteMultipartUpload', 'data', (c) => c.completeMultipartUpload(key, uploadId, parts, forbid ? { headers: { 'x-oss-forbid-overwrite': forbid } } : {}));
    return r.etag;
  } catch (e) {
    await oss.run('AbortMultipartUpload', 'data', (c) => c.abortMultipartUpload(key, uploadId)).catch(() => undefined);
    throw e;
  }
}
