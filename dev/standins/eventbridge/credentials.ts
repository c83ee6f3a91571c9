// Who may call the stand-in: access keys and STS credentials (key, secret, token, expiry), checked the way
// EventBridge answers (403 with its documented error codes), so rotation and expiry can be tested.
import type { IncomingHttpHeaders } from 'node:http';
import { parseAuthorization, sign, signatureMatches, stringToSign } from './signature.ts';

export interface StandinCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** Set for STS credentials: the request must carry it in x-acs-security-token. */
  securityToken?: string;
  /** Epoch ms after which STS credentials are refused (StsAccessIdExpired). */
  expiresAt?: number;
}

export interface AuthRefusal {
  status: number;
  code: string;
  message: string;
}

const refuse = (code: string, message: string): AuthRefusal => ({ status: 403, code, message });

/** Undefined when the request is signed by known, current credentials; otherwise the refusal to answer. */
export function checkAuth(
  req: { method: string; pathname: string; query: URLSearchParams; headers: IncomingHttpHeaders },
  known: ReadonlyMap<string, StandinCredentials>,
  now: number,
  maxClockSkewMs: number,
): AuthRefusal | undefined {
  const auth = parseAuthorization(req.headers.authorization);
  if (!auth) return refuse('MissingAuthorization', 'The authorization header is missing or malformed.');
  const token = req.headers['x-acs-security-token'];
  const creds = known.get(auth.accessKeyId);
  if (!creds) {
    return token === undefined
      ? refuse('InvalidAccessKeyId', 'The access Id you provided is not exist.')
      : refuse('InvalidStsAccessKeyId', 'The sts access Id you provided is not exist.');
  }
  if (creds.securityToken !== undefined || token !== undefined) {
    if (token !== creds.securityToken || req.headers['x-acs-accesskey-id'] !== auth.accessKeyId) {
      return refuse('SecurityTokenInvalid', 'The Security token that your provide is invalid.');
    }
    if (creds.expiresAt !== undefined && now >= creds.expiresAt) return refuse('StsAccessIdExpired', 'The sts accessid has expired.');
  }
  const expected = sign(stringToSign(req.method, req.pathname, req.query, req.headers), creds.accessKeySecret);
  if (!signatureMatches(expected, auth.signature)) {
    return refuse('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  }
  // The signed date bounds replays; the service's exact window and code are not documented (15 min assumed).
  const date = Date.parse(String(req.headers.date ?? ''));
  if (!Number.isFinite(date) || Math.abs(now - date) > maxClockSkewMs) {
    return refuse('RequestTimeTooSkewed', 'The date header is missing or too far from the server time.');
  }
  return undefined;
}
