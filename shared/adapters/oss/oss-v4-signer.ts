// OSS V4 signatures (OSS4-HMAC-SHA256): the Authorization header of a request and the query of a presigned
// URL, from OSS's published algorithm (the same canonical request, scope and key derivation as ali-oss 6.x).
import { createHash, createHmac } from 'node:crypto';

export interface SigningKey {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface CanonicalInput {
  method: string;
  bucket: string;
  /** The object key, '' for a bucket operation. */
  key: string;
  /** Lower-case names; `content-type`, `content-md5` and every `x-oss-*` header are signed. */
  headers: Record<string, string>;
  /** Query parameters; '' is a parameter without a value (`?uploads`). */
  query: Record<string, string>;
}

/** RFC 3986 encoding (encodeURIComponent leaves !'()* alone; OSS's canonical form does not). */
export const encodeRfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** `20261203T134000Z`: x-oss-date and the scope's day. */
export const v4Date = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** Query parameters as OSS canonicalises them: encoded, sorted by name, a value-less one without '='. */
export function canonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((k) => (query[k] === '' ? encodeRfc3986(k) : `${encodeRfc3986(k)}=${encodeRfc3986(query[k]!)}`))
    .join('&');
}

function canonicalRequest(input: CanonicalInput): string {
  const uri = encodeRfc3986(`/${input.bucket}/${input.key}`).replace(/%2F/g, '/');
  const signed = Object.keys(input.headers)
    .filter((h) => h === 'content-type' || h === 'content-md5' || h.startsWith('x-oss-'))
    .sort()
    .map((h) => `${h}:${input.headers[h]!.trim()}\n`)
    .join('');
  return [input.method.toUpperCase(), uri, canonicalQuery(input.query), signed, '', input.headers['x-oss-content-sha256'] ?? 'UNSIGNED-PAYLOAD'].join('\n');
}

const scopeOf = (date: string, region: string): string => `${date.slice(0, 8)}/${region}/oss/aliyun_v4_request`;

function signature(secret: string, region: string, date: string, canonical: string): string {
  const toSign = ['OSS4-HMAC-SHA256', date, scopeOf(date, region), createHash('sha256').update(canonical).digest('hex')].join('\n');
  let k = createHmac('sha256', `aliyun_v4${secret}`).update(date.slice(0, 8)).digest();
  for (const part of [region, 'oss', 'aliyun_v4_request']) k = createHmac('sha256', k).update(part).digest();
  return createHmac('sha256', k).update(toSign).digest('hex');
}

/**
 * The Authorization header for a request whose headers already hold `x-oss-date` (and, for STS credentials,
 * `x-oss-security-token`). `region` is the standard one (`cn-hangzhou`).
 */
export function authorizationV4(key: SigningKey, region: string, input: CanonicalInput): string {
  const date = input.headers['x-oss-date'];
  if (!date) throw new Error('x-oss-date is required to sign a request');
  const sig = signature(key.accessKeySecret, region, date, canonicalRequest(input));
  return `OSS4-HMAC-SHA256 Credential=${key.accessKeyId}/${scopeOf(date, region)},Signature=${sig}`;
}

/**
 * The query parameters that make a presigned URL (in ali-oss's order: the caller's, the credential, date,
 * expiry, version, token, then the signature), valid `expiresSeconds` from `now`.
 */
export function presignV4(key: SigningKey, region: string, input: Omit<CanonicalInput, 'headers'> & { headers?: Record<string, string> }, now: Date, expiresSeconds: number): Record<string, string> {
  const date = v4Date(now);
  const query: Record<string, string> = {
    ...input.query,
    'x-oss-credential': `${key.accessKeyId}/${scopeOf(date, region)}`,
    'x-oss-date': date,
    'x-oss-expires': String(expiresSeconds),
    'x-oss-signature-version': 'OSS4-HMAC-SHA256',
    ...(key.securityToken ? { 'x-oss-security-token': key.securityToken } : {}),
  };
  const canonical = canonicalRequest({ ...input, headers: input.headers ?? {}, query });
  return { ...query, 'x-oss-signature': signature(key.accessKeySecret, region, date, canonical) };
}
