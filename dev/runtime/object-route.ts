// Serves the local object store's signed URLs (`/_oss/<key>?Expires=…&Signature=…`) as OSS would: 403 for
// a bad or expired signature, 404 when absent, and single byte ranges so players can seek.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { LocalFsObjectStore } from '../../shared/adapters/local-fs/local-fs-object-store.ts';
import { HttpError } from '../../shared/http/errors.ts';
import { sendError } from '../../shared/http/respond.ts';
import { ObjectNotFoundError } from '../../shared/ports/object-store.ts';
import { readRange, type RangeAnswer } from './byte-range.ts';

export const OBJECT_ROUTE_PREFIX = '/_oss/';

/** Answers a request whose path starts with OBJECT_ROUTE_PREFIX. */
export async function serveObject(store: LocalFsObjectStore, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on object URLs`, { headers: { allow: 'GET, HEAD' } });
    }
    const url = new URL(req.url ?? '/', 'http://local');
    let key: string;
    try {
      key = decodeURIComponent(url.pathname.slice(OBJECT_ROUTE_PREFIX.length));
    } catch {
      throw new HttpError(400, 'invalid_key', 'object key is not valid URL encoding');
    }
    // Only keys the store accepted can carry a valid signature, so nothing else reaches the file system.
    const check = store.verifyUrl(key, url.searchParams.get('Expires'), url.searchParams.get('Signature'));
    if (check === 'expired') throw new HttpError(403, 'url_expired', 'this object URL has expired');
    if (check !== 'ok') throw new HttpError(403, 'signature_mismatch', 'the signature of this object URL is not valid');
    const rangeOf = (size: number): RangeAnswer => readRange(req.headers.range, size);
    const { meta, body, range } = await store.get(key, (size) => {
      const answer = rangeOf(size);
      return answer.kind === 'partial' ? answer.range : undefined;
    }).catch((e: unknown) => {
      throw e instanceof ObjectNotFoundError ? new HttpError(404, 'no_such_key', `object ${key} does not exist`) : e;
    });
    if (rangeOf(meta.bytes).kind === 'unsatisfiable') {
      body.destroy();
      throw new HttpError(416, 'range_not_satisfiable', `the requested range is outside the object (${meta.bytes} bytes)`, {
        headers: { 'content-range': `bytes */${meta.bytes}`, 'accept-ranges': 'bytes' },
      });
    }
    const common = { 'content-type': meta.contentType, 'accept-ranges': 'bytes', ...(meta.etag ? { etag: `"${meta.etag}"` } : {}), 'x-request-id': requestId };
    if (range) {
      res.writeHead(206, { ...common, 'content-range': `bytes ${range.start}-${range.end}/${meta.bytes}`, 'content-length': String(range.end - range.start + 1) });
    } else {
      res.writeHead(200, { ...common, 'content-length': String(meta.bytes) });
    }
    if (req.method === 'HEAD') {
      body.destroy();
      res.end();
      return;
    }
    await pipeline(body, res);
  } catch (e) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendError(res, e, requestId);
  }
}
