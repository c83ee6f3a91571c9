// EventBridge's data-plane request signature (acs:<accessKeyId>:<base64 HMAC-SHA1>), written from the
// SDK's algorithm (@alicloud/eventbridge-util) but independently of it, so a signing mistake fails here.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const header = (headers: IncomingHttpHeaders, name: string): string => {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : (v ?? '');
};

/** The string the SDK signs: method, content-md5, content-type, date, the x-acs-* headers, the resource. */
export function stringToSign(method: string, pathname: string, query: URLSearchParams, headers: IncomingHttpHeaders): string {
  const acs = Object.keys(headers)
    .filter((k) => k.startsWith('x-acs-'))
    .sort()
    .map((k) => `${k}:${header(headers, k).replace(/[\t\n\r\f]/g, ' ').trim()}\n`)
    .join('');
  const keys = [...new Set(query.keys())].sort();
  const resource = keys.length === 0 ? pathname : `${pathname}?${keys.map((k) => `${k}=${query.get(k) ?? ''}`).join('&')}`;
  const head = [method.toUpperCase(), header(headers, 'content-md5'), header(headers, 'content-type'), header(headers, 'date')];
  return `${head.join('\n')}\n${acs}${resource}`;
}

export function sign(toSign: string, secret: string): string {
  return createHmac('sha1', secret).update(toSign, 'utf8').digest('base64');
}

/** Splits `acs:<accessKeyId>:<signature>`; undefined when the header has another shape. */
export function parseAuthorization(value: string | undefined): { accessKeyId: string; signature: string } | undefined {
  const m = /^acs:([^:]+):(.+)$/.exec(value ?? '');
  return m ? { accessKeyId: m[1]!, signature: m[2]! } : undefined;
}

export function signatureMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
