// Result URLs (`/results/<path>?Expires=…&OSSAccessKeyId=…&Signature=…`), signed like OSS V1 URLs,
// served with type and length, refused as OSS does (XML 403 when expired or badly signed, 404 for no file).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { RequestContext } from './context.ts';
import type { EmulatorEnv } from './env.ts';
import { ApiError } from './errors.ts';
import { mediaAt } from './media.ts';

export const ACCESS_KEY_ID = 'LTAI5tEmulatorLocal00000';

export class ResultSigner {
  constructor(private readonly secret: string) {}

  private signature(path: string, expires: number): string {
    return createHmac('sha1', this.secret).update(`GET\n\n\n${expires}\n${path}`).digest('base64');
  }

  /** A signed URL for `path` valid until `expiresMs` (emulator time). */
  url(origin: string, path: string, expiresMs: number): string {
    const expires = Math.floor(expiresMs / 1000);
    const q = new URLSearchParams({ Expires: String(expires), OSSAccessKeyId: ACCESS_KEY_ID, Signature: this.signature(path, expires) });
    return `${origin}${path}?${q.toString()}`;
  }

  verify(path: string, expires: number, signature: string): boolean {
    const want = Buffer.from(this.signature(path, expires));
    const got = Buffer.from(signature);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}

const denied = (code: string, message: string, fields: Record<string, string> = {}) =>
  new ApiError('accessDenied', message, { nativeCode: code, ossFields: fields });

export async function serveResult(ctx: RequestContext, env: EmulatorEnv): Promise<void> {
  const expires = Number(ctx.query.get('Expires'));
  const signature = ctx.query.get('Signature');
  if (!ctx.query.has('Expires') || !signature || !Number.isInteger(expires)) {
    throw denied('AccessDenied', 'You have no right to access this object because of bucket acl.');
  }
  const now = env.clock.nowMs();
  if (now > expires * 1000) {
    throw denied('AccessDenied', 'Request has expired.', {
      Expires: new Date(expires * 1000).toISOString(),
      ServerTime: new Date(now).toISOString(),
    });
  }
  if (!env.results.verify(ctx.path, expires, signature)) {
    throw denied('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
  const file = mediaAt(ctx.path);
  if (!file) throw new ApiError('notFound', 'The specified key does not exist.', { nativeCode: 'NoSuchKey' });
  ctx.res.writeHead(200, {
    'content-type': file.contentType,
    'content-length': String(file.bytes),
    'x-request-id': ctx.requestId,
    'x-oss-request-id': ctx.requestId.replaceAll('-', '').slice(0, 24).toUpperCase(),
    'last-modified': new Date(now).toUTCString(),
    server: 'AliyunOSS',
  });
  if (ctx.method === 'HEAD') {
    ctx.res.end();
    return;
  }
  try {
    await pipeline(file.open(), ctx.res);
  } catch {
    // The client went away or a fault cut the connection; the request log records which.
  }
}
