// OSS V4 signature checking for the stand-in (OSS4-HMAC-SHA256, header or presigned query), written from
// OSS's published algorithm rather than from the SDK, so a signing mistake in a client fails here.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { OssError } from './wire.ts';

export interface Credential {
  accessKeySecret: string;
  /** STS credentials carry a token that must come with every request. */
  securityToken?: string;
}

export interface SignedRequest {
  method: string;
  bucket: string;
  key: string;
  /** Decoded query parameters; a value-less parameter (`?uploads`) is ''. */
  query: [string, string][];
  headers: IncomingHttpHeaders;
}

export interface VerifiedCaller {
  accessKeyId: string;
  securityToken: string | undefined;
  /** For presigned URLs: when the URL stops working (ms since epoch). */
  expiresAt?: number;
}

const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const denied = (code: string, message: string): OssError => new OssError(403, code, message);

function canonicalRequest(req: SignedRequest, query: [string, string][], additional: string[], presigned: boolean): string {
  const uri = enc(`/${req.bucket}/${req.key}`).replace(/%2F/g, '/');
  const q = query
    .map(([k, v]) => (v === '' ? enc(k) : `${enc(k)}=${enc(v)}`))
    .sort((a, b) => (a.split('=')[0]! < b.split('=')[0]! ? -1 : a.split('=')[0]! > b.split('=')[0]! ? 1 : 0))
    .join('&');
  const names = new Set(additional);
  for (const h of Object.keys(req.headers)) if (h === 'content-type' || h === 'content-md5' || h.startsWith('x-oss-')) names.add(h);
  const headers = [...names]
    .sort()
    .map((h) => `${h}:${String(req.headers[h] ?? '').trim()}\n`)
    .join('');
  const payload = presigned ? 'UNSIGNED-PAYLOAD' : String(req.headers['x-oss-content-sha256'] ?? 'UNSIGNED-PAYLOAD');
  return [req.method, uri, q, headers, additional.join(';'), payload].join('\n');
}

function signature(secret: string, date: string, region: string, canonical: string): string {
  const day = date.slice(0, 8);
  const scope = `${day}/${region}/oss/aliyun_v4_request`;
  const toSign = ['OSS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let k = createHmac('sha256', `aliyun_v4${secret}`).update(day).digest();
  for (const part of [region, 'oss', 'aliyun_v4_request']) k = createHmac('sha256', k).update(part).digest();
  return createHmac('sha256', k).update(toSign).digest('hex');
}

const same = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Checks the request's V4 signature against `credentials`; throws OSS's 403 errors. */
export function verifyV4(req: SignedRequest, region: string, credentials: ReadonlyMap<string, Credential>, expiredTokens: ReadonlySet<string>, nowMs: number): VerifiedCaller {
  const auth = req.headers.authorization;
  const q = new Map(req.query);
  const presigned = auth === undefined && q.get('x-oss-signature-version') === 'OSS4-HMAC-SHA256';
  let credential: string;
  let additional: string[];
  let given: string;
  let date: string;
  let token: string | undefined;
  if (auth !== undefined) {
    const m = /^OSS4-HMAC-SHA256 Credential=([^,]+),(?:AdditionalHeaders=([^,]*),)?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) throw denied('AccessDenied', 'Authorization header is not an OSS4-HMAC-SHA256 signature.');
    [credential, additional, given] = [m[1]!, m[2] ? m[2].split(';') : [], m[3]!];
    date = String(req.headers['x-oss-date'] ?? '');
    token = req.headers['x-oss-security-token'] as string | undefined;
  } else if (presigned) {
    credential = q.get('x-oss-credential') ?? '';
    additional = q.get('x-oss-additional-headers')?.split(';') ?? [];
    given = q.get('x-oss-signature') ?? '';
    date = q.get('x-oss-date') ?? '';
    token = q.get('x-oss-security-token');
  } else {
    throw denied('AccessDenied', 'You have no right to access this object because of bucket acl.');
  }
  const [accessKeyId, day, scopeRegion, product, terminal] = credential.split('/');
  const known = accessKeyId === undefined ? undefined : credentials.get(accessKeyId);
  if (!known) throw denied('InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.');
  if (!/^\d{8}T\d{6}Z$/.test(date) || day !== date.slice(0, 8) || scopeRegion !== region || product !== 'oss' || terminal !== 'aliyun_v4_request') {
    throw denied('SignatureDoesNotMatch', `The credential scope ${credential.split('/').slice(1).join('/')} does not match the request (region ${region}).`);
  }
  if (known.securityToken !== undefined) {
    if (token === undefined) throw denied('InvalidAccessKeyId', 'The security token is missing for temporary credentials.');
    if (expiredTokens.has(token)) throw denied('SecurityTokenExpired', 'The security token you provided has expired.');
    if (token !== known.securityToken) throw denied('InvalidSecurityToken', 'The security token you provided is invalid.');
  }
  const signedQuery = req.query.filter(([k]) => k !== 'x-oss-signature');
  const expected = signature(known.accessKeySecret, date, region, canonicalRequest(req, signedQuery, additional, presigned));
  if (!same(expected, given)) throw denied('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  if (!presigned) return { accessKeyId: accessKeyId!, securityToken: token };
  const signedAt = Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
  const expiresAt = signedAt + Number(q.get('x-oss-expires') ?? 'NaN') * 1000;
  if (!(expiresAt >= nowMs)) throw denied('AccessDenied', 'Request has expired.');
  return { accessKeyId: accessKeyId!, securityToken: token, expiresAt };
}
