// The headers that sign a Table Store request (API 2015-12-31): HMAC-SHA1 over the path, the method and every
// x-ots-* header sorted by name, with the content MD5, the time and, for STS credentials, the security token.
import { createHash, createHmac } from 'node:crypto';

export interface OtsCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export const API_VERSION = '2015-12-31';

/** Every x-ots-* header of `POST /<operation>` carrying `body`, the signature last. */
export function signedHeaders(input: { operation: string; instance: string; body: Buffer; credentials: OtsCredentials; date: Date }): Record<string, string> {
  const { credentials: c } = input;
  const headers: Record<string, string> = {
    'x-ots-apiversion': API_VERSION,
    'x-ots-instancename': input.instance,
    'x-ots-contentmd5': createHash('md5').update(input.body).digest('base64'),
    'x-ots-date': input.date.toISOString(),
    'x-ots-accesskeyid': c.accessKeyId,
    ...(c.securityToken ? { 'x-ots-ststoken': c.securityToken } : {}),
  };
  const canonical = Object.keys(headers)
    .sort()
    .map((n) => `${n}:${headers[n]}`)
    .join('\n');
  const toSign = `/${input.operation}\nPOST\n\n${canonical}\n`;
  headers['x-ots-signature'] = createHmac('sha1', c.accessKeySecret).update(toSign).digest('base64');
  return headers;
}
