// One HTTP exchange with an Alibaba Cloud service (Table Store, OSS, EventBridge, FC) over node:http(s), which
// costs nothing to load at cold start; keep-alive agents are shared per process. Signing is the caller's.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface CloudRequest {
  method: string;
  url: URL;
  /** The request target sent as written (path and query), instead of the URL's (which resolves '.' and '..'). */
  path?: string;
  /** Sent as given (lower-case names recommended); `content-length` is added for a Buffer body. */
  headers: Record<string, string>;
  /** A Buffer is sent with Content-Length; a stream as it comes (chunked unless a content-length header is set). */
  body?: Buffer | Readable;
  /** Longest silence on the socket (connecting, sending, waiting, reading) before the request fails. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface CloudResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, unread: read it (readAll) or destroy it, or the connection is not reused. */
  body: IncomingMessage;
}

/** The exchange failed before an answer: no connection, a reset, silence longer than timeoutMs, or an abort. */
export class CloudNetworkError extends Error {
  override name = 'CloudNetworkError';
  constructor(
    readonly reason: 'timeout' | 'network' | 'aborted',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 1000 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 1000 }),
};

/** Sends one request and resolves when the status and headers arrived; the body is the caller's to read. */
export function sendCloudRequest(req: CloudRequest): Promise<CloudResponse> {
  const protocol = req.url.protocol as 'http:' | 'https:';
  if (protocol !== 'http:' && protocol !== 'https:') return Promise.reject(new TypeError(`unsupported protocol ${req.url.protocol}`));
  const headers: Record<string, string> = { ...req.headers };
  if (Buffer.isBuffer(req.body)) headers['content-length'] = String(req.body.length);
  else if (req.body === undefined && req.method !== 'GET' && req.method !== 'HEAD') headers['content-length'] ??= '0';
  const send = protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<CloudResponse>((resolve, reject) => {
    let settled = false;
    const fail = (e: CloudNetworkError) => {
      if (settled) return;
      settled = true;
      reject(e);
    };
    const r = send(req.url, { method: req.method, headers, ...(req.path !== undefined ? { path: req.path } : {}), agent: agents[protocol], ...(req.signal ? { signal: req.signal } : {}) }, (res) => {
      settled = true;
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });
    r.setTimeout(req.timeoutMs, () => {
      const e = new CloudNetworkError('timeout', `${req.method} ${req.url.host}: no activity for ${req.timeoutMs} ms`);
      fail(e);
      r.destroy(e);
    });
    r.on('error', (cause) => {
      const aborted = req.signal?.aborted === true;
      fail(new CloudNetworkError(aborted ? 'aborted' : 'network', `${req.method} ${req.url.host}: ${aborted ? 'aborted' : (cause as Error).message}`, { cause }));
    });
    if (req.body === undefined) r.end();
    else if (Buffer.isBuffer(req.body)) r.end(req.body);
    else pipeline(req.body, r).catch((cause: unknown) => fail(new CloudNetworkError('network', `${req.method} ${req.url.host}: request body failed: ${(cause as Error).message}`, { cause })));
  });
}

/** Reads a whole response body, failing past maxBytes (the connection is then dropped, not reused). */
export async function readAll(res: CloudResponse, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        res.body.destroy();
        throw new CloudNetworkError('network', `answer larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof CloudNetworkError) throw e;
    throw new CloudNetworkError('network', `reading the answer failed: ${(e as Error).message}`, { cause: e });
  }
  return Buffer.concat(chunks, size);
}

/** Drops a body not worth reading (an error answer already decoded from its headers, a HEAD). */
export function discard(res: CloudResponse): void {
  if (!res.body.readableEnded) res.body.resume();
}

/** A header's single value (the first of repeated ones). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
