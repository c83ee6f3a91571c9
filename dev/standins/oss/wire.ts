// Wire helpers of the OSS stand-in: OSS's XML error body, request ids, and receiving a request body into a
// file while hashing it (MD5 for Content-MD5, CRC-64 for x-oss-hash-crc64ecma).
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Crc64 } from '../../../shared/adapters/oss/crc64.ts';

export class OssError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const newRequestId = (): string => randomBytes(12).toString('hex').toUpperCase();

const escapeXml = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function xml(root: string, fields: Record<string, string>): string {
  const body = Object.entries(fields)
    .map(([k, v]) => `  <${k}>${escapeXml(v)}</${k}>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}>\n${body}\n</${root}>\n`;
}

export function sendXml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendError(res: ServerResponse, req: IncomingMessage, requestId: string, err: OssError): void {
  const body = xml('Error', { Code: err.code, Message: err.message, RequestId: requestId, HostId: String(req.headers.host ?? ''), ...err.extra });
  // HEAD answers carry no body: OSS puts the error, base64 XML, in x-oss-err
  if (req.method === 'HEAD') {
    res.writeHead(err.status, { 'x-oss-request-id': requestId, 'x-oss-err': Buffer.from(body).toString('base64') });
    res.end();
    return;
  }
  sendXml(res, err.status, body, { 'x-oss-request-id': requestId });
}

export interface Received {
  bytes: number;
  md5: Buffer;
  crc64: string;
}

/**
 * Streams the body into `file`, hashing as it goes. `keepBytes` cuts what is stored (the truncation fault:
 * a body lost in transit that the server still accepts). Rejects, leaving no file, if the client goes away.
 */
export async function receiveBody(req: IncomingMessage, file: string, keepBytes = Number.POSITIVE_INFINITY): Promise<Received> {
  const md5 = createHash('md5');
  const crc = new Crc64();
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      const room = keepBytes - bytes;
      const kept = room >= chunk.length ? chunk : chunk.subarray(0, Math.max(0, room));
      bytes += kept.length;
      md5.update(kept);
      crc.update(kept);
      done(null, kept);
    },
  });
  try {
    await pipeline(req, meter, createWriteStream(file));
  } catch (e) {
    await unlink(file).catch(() => undefined);
    throw e;
  }
  // a request whose socket closed before the declared length (or the last chunk) never completes
  if (!req.complete) {
    await unlink(file).catch(() => undefined);
    throw new Error('request body incomplete');
  }
  return { bytes, md5: md5.digest(), crc64: crc.digest() };
}

/** Checks a Content-MD5 header against what arrived (OSS answers InvalidDigest for both shapes of failure). */
export function checkContentMd5(header: string | undefined, md5: Buffer): void {
  if (header === undefined) return;
  const given = Buffer.from(header, 'base64');
  if (given.length !== 16) throw new OssError(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.');
  if (!given.equals(md5)) throw new OssError(400, 'InvalidDigest', 'The Content-MD5 you specified did not match what we received.');
}
