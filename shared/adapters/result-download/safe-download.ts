// Opens a result URL for streaming without letting it reach anything but the allowlisted result hosts: every
// hop (redirects are followed by hand) is checked, and the socket connects to exactly the address checked.
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { DownloadError, toDownloadError } from '../../ports/result-source.ts';
import { forbiddenAddressReason } from './address-policy.ts';
import { checkHost, type AllowlistEntry } from './host-allowlist.ts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}
/** Name resolution, injectable so tests can point a name at any address without touching real DNS. */
export type Resolve = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolve: Resolve = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

export interface DownloadOptions {
  /** Parsed RESULT_HOST_ALLOWLIST plus any trusted origins (e.g. the local emulator's). */
  allowlist: readonly AllowlistEntry[];
  /** Refuse bodies larger than this (Content-Length up front, counted bytes while streaming). */
  maxBytes: number;
  /** Deadline for the whole download, headers and body. */
  timeoutMs: number;
  /** Redirect hops followed at most (default 3). */
  maxRedirects?: number;
  resolve?: Resolve;
}

export interface OpenedDownload {
  body: Readable;
  /** The response's Content-Type, if any. */
  contentType?: string;
  /** The response's Content-Length, if any. */
  contentLength?: number;
  /** The URL that answered 200 (the last hop). */
  url: string;
  /** Aborts when the deadline passes; hand it to whatever consumes the body. */
  signal: AbortSignal;
  /** true once the deadline fired (so a consumer's error can be reported as a timeout). */
  timedOut(): boolean;
  /** Releases the connection; call it whether the body was consumed or not. */
  close(): void;
}

interface CheckedTarget {
  url: URL;
  address: ResolvedAddress;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Checks one hop: allowlist, scheme, resolved addresses. Throws a `refused` DownloadError. */
export async function checkTarget(rawUrl: string, opts: Pick<DownloadOptions, 'allowlist' | 'resolve'>): Promise<CheckedTarget> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new DownloadError('refused', 'BadUrl', 'result URL is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new DownloadError('refused', 'InsecureScheme', `scheme ${url.protocol} is not allowed`, { url: url.origin });
  if (url.username || url.password) throw new DownloadError('refused', 'BadUrl', 'result URL must not carry credentials', { url: url.origin });
  const decision = checkHost(opts.allowlist, url);
  if (!decision.allowed) throw new DownloadError('refused', decision.code, decision.reason, { url: url.origin });
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: ResolvedAddress[];
  if (isIP(hostname)) {
    addresses = [{ address: hostname, family: isIP(hostname) === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await (opts.resolve ?? systemResolve)(hostname);
    } catch (err) {
      throw new DownloadError('transient', 'DnsFailed', `could not resolve ${hostname}`, { cause: err, url: url.origin });
    }
    if (addresses.length === 0) throw new DownloadError('transient', 'DnsFailed', `${hostname} has no address`, { url: url.origin });
  }
  if (!decision.trustedOrigin) {
    // Every answer must be public: a name that also resolves inside is refused outright, not worked around.
    for (const a of addresses) {
      const why = forbiddenAddressReason(a.address);
      if (why) throw new DownloadError('refused', 'ForbiddenAddress', `${hostname} resolves to a forbidden address: ${why}`, { url: url.origin });
    }
  }
  return { url, address: addresses[0] as ResolvedAddress };
}

/** A lookup that answers every name with `address`: the socket connects to exactly the address checked. */
function pinnedLookup(address: ResolvedAddress): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: address.address, family: address.family }]);
    else callback(null, address.address, address.family);
  }) as unknown as LookupFunction;
}

/**
 * GETs one hop over a connection of its own (no pool: `agent: false`) to the checked address; TLS still checks
 * the URL's name. `signal` cancels the request, and once it answered the body.
 */
function get(target: CheckedTarget, signal: AbortSignal): { response: Promise<IncomingMessage>; close: () => void } {
  const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const r = send(target.url, { method: 'GET', headers: { accept: '*/*' }, lookup: pinnedLookup(target.address), agent: false, signal });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    r.once('response', resolve);
    r.on('error', reject);
  });
  r.end();
  // the connection is this hop's alone: destroying the request closes it, and the body if one is being read
  return { response, close: () => void r.destroy() };
}

/** Drops a body we will not read; a destroyed body may report an abort error, which nobody needs to hear. */
export function discard(body: Readable): void {
  body.on('error', () => undefined);
  if (!body.destroyed) body.destroy();
}

const header = (h: Record<string, string | string[] | undefined>, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * Opens `rawUrl` (status 200) for streaming. Throws DownloadError: `refused` (not allowlisted, plain http,
 * forbidden address, redirect off the allowlist, too many redirects, Content-Length over the cap),
 * `transient` (DNS, connection, timeout, 408/429/5xx) or `status` (any other non-200 answer).
 */
export async function openDownload(rawUrl: string, opts: DownloadOptions, signal?: AbortSignal): Promise<OpenedDownload> {
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const combined = signal ? AbortSignal.any([deadline, signal]) : deadline;
  const timedOut = () => deadline.aborted;
  const maxRedirects = opts.maxRedirects ?? 3;
  let current = rawUrl;
  for (let hop = 0; ; hop++) {
    let target: CheckedTarget;
    try {
      target = await checkTarget(current, opts);
    } catch (err) {
      if (hop > 0 && err instanceof DownloadError && err.kind === 'refused') {
        throw new DownloadError('refused', 'RedirectRefused', `redirect refused: ${err.message}`, { url: err.url, cause: err });
      }
      throw err;
    }
    const { response, close } = get(target, combined);
    let res: IncomingMessage;
    try {
      res = await response;
    } catch (err) {
      close();
      throw toDownloadError(err, timedOut());
    }
    const h = res.headers;
    const status = res.statusCode ?? 0;
    if (status === 200) {
      const length = header(h, 'content-length');
      const contentLength = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
      if (contentLength !== undefined && contentLength > opts.maxBytes) {
        discard(res);
        close();
        throw new DownloadError('refused', 'TooLarge', `result is ${contentLength} bytes, over the ${opts.maxBytes}-byte limit`, { url: target.url.origin });
      }
      return { body: res, contentType: header(h, 'content-type'), contentLength, url: target.url.toString(), signal: combined, timedOut, close };
    }
    // Anything but 200 is not consumed: drop the body and the connection.
    discard(res);
    close();
    const location = header(h, 'location');
    if (REDIRECTS.has(status) && location) {
      if (hop >= maxRedirects) throw new DownloadError('refused', 'TooManyRedirects', `more than ${maxRedirects} redirects`, { url: target.url.origin });
      const next = URL.canParse(location, target.url.href) ? new URL(location, target.url) : undefined;
      if (!next) throw new DownloadError('refused', 'RedirectRefused', 'redirect to an invalid location', { url: target.url.origin });
      current = next.toString();
      continue;
    }
    const dateHeader = header(h, 'date');
    const sourceDate = dateHeader && !Number.isNaN(Date.parse(dateHeader)) ? new Date(dateHeader) : undefined;
    const details = { status, sourceDate, url: target.url.origin };
    if (status === 408 || status === 429 || status >= 500) throw new DownloadError('transient', 'SourceUnavailable', `source answered ${status}`, details);
    throw new DownloadError('status', 'SourceStatus', `source answered ${status}`, details);
  }
}
