// EventBridge's data-plane request signature as its official SDK computes it: `acs:<accessKeyId>:<base64
// HMAC-SHA1>` over the method, content-md5, content-type, date, the sorted x-acs-* headers and the path.
import { createHmac } from 'node:crypto';

/** The string to sign; `headers` have lower-case names. The SDK sends no query string, so the resource is the path. */
export function stringToSign(method: string, pathname: string, headers: Readonly<Record<string, string>>): string {
  const acs = Object.keys(headers)
    .filter((k) => k.startsWith('x-acs-'))
    .sort()
    .map((k) => `${k}:${headers[k]!.replace(/[\t\n\r\f]/g, ' ').trim()}\n`)
    .join('');
  const head = [method.toUpperCase(), headers['content-md5'] ?? '', headers['content-type'] ?? '', headers.date ?? ''];
  return `${head.join('\n')}\n${acs}${pathname}`;
}

export function signature(toSign: string, accessKeySecret: string): string {
  return createHmac('sha1', accessKeySecret).update(toSign, 'utf8').digest('base64');
}
