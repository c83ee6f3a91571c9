// Alibaba Cloud's ACS3-HMAC-SHA256 request signature, as the FC 3.0 API checks it: written from the algorithm
// the SDK (@alicloud/openapi-core) uses but independently of it, so a signing mistake fails here.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';

export interface Acs3Authorization {
  accessKeyId: string;
  /** Lower-case header names, as listed. */
  signedHeaders: string[];
  signature: string;
}

/** Splits `ACS3-HMAC-SHA256 Credential=<ak>,SignedHeaders=<a;b>,Signature=<hex>`; undefined for any other shape. */
export function parseAcs3Authorization(value: string | undefined): Acs3Authorization | undefined {
  const m = /^ACS3-HMAC-SHA256 Credential=([^,\s]+),SignedHeaders=([^,\s]+),Signature=([0-9a-f]{64})$/.exec(value ?? '');
  if (!m) return undefined;
  return { accessKeyId: m[1]!, signedHeaders: m[2]!.split(';'), signature: m[3]! };
}

export const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** RFC 3986 encoding of a query value: encodeURIComponent, plus the five characters it leaves alone. */
const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const headerValue = (headers: IncomingHttpHeaders, name: string): string => {
  const v = headers[name];
  return (Array.isArray(v) ? v.join(',') : (v ?? '')).trim();
};

/**
 * The canonical request: method, the path as sent, the query sorted by name with RFC 3986 values, each
 * signed header as `name:value`, the signed header list, and the payload's SHA-256 (hex).
 */
export function canonicalRequest(method: string, rawPath: string, rawQuery: string, headers: IncomingHttpHeaders, signedHeaders: readonly string[], payloadHash: string): string {
  const params = [...new URLSearchParams(rawQuery)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = params.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
  const names = [...signedHeaders].sort();
  const canonicalHeaders = names.map((n) => `${n}:${headerValue(headers, n)}\n`).join('');
  return [method.toUpperCase(), rawPath, query, canonicalHeaders, names.join(';'), payloadHash].join('\n');
}

export function acs3Signature(canonical: string, secret: string): string {
  const toSign = `${ACS3_ALGORITHM}\n${sha256Hex(canonical)}`;
  return createHmac('sha256', secret).update(toSign, 'utf8').digest('hex');
}

export function signaturesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
