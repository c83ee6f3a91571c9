// OSS's REST calls the adapter makes, for one bucket and one set of credentials, over node:http(s): each
// request V4-signed (Content-MD5 on every body), every answer other than 2xx decoded into an OssFailure.
import { createHash } from 'node:crypto';
import { CloudNetworkError, discard, headerValue, readAll, sendCloudRequest, type CloudResponse } from '../cloud-http/cloud-http.ts';
import type { IncomingMessage } from 'node:http';
import { lifecycleXml, parseLifecycle, type LifecycleRule } from './lifecycle-xml.ts';
import { OssFailure } from './oss-failure.ts';
import { authorizationV4, presignV4, v4Date, type SigningKey } from './oss-v4-signer.ts';
import { escapeXml, xmlText } from './oss-xml.ts';

export interface OssTarget {
  bucket: string;
  /** Standard region (`cn-hangzhou`): what V4 scopes are made of. */
  region: string;
  /** `https://oss-cn-hangzhou.aliyuncs.com`, or an IP endpoint (a stand-in): then addressing is path-style. */
  endpoint: URL;
  timeoutMs: number;
}

export type Headers = Record<string, string | undefined>;

export interface OssResponse {
  status: number;
  headers: Headers;
}

interface Call {
  method: string;
  key?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer;
}

/** Answers read for their XML are small; an error body larger than this is not worth reading. */
const MAX_XML_BYTES = 1024 * 1024;

export const isIpHost = (hostname: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.startsWith('[') || hostname === 'localhost';

/** An object key in a URL path: encoded, its '/' kept (as ali-oss writes it, for the same signed URLs). */
const escapeKey = (key: string): string => encodeURIComponent(key).replace(/%2F/g, '/');
const queryString = (query: Record<string, string>): string =>
  Object.entries(query)
    .map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join('&');

function flatHeaders(res: CloudResponse): Headers {
  const out: Headers = {};
  for (const name of Object.keys(res.headers)) out[name] = headerValue(res.headers, name);
  return out;
}

export class OssHttpClient {
  private readonly pathStyle: boolean;

  constructor(
    private readonly target: OssTarget,
    private readonly credentials: SigningKey,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.pathStyle = isIpHost(target.endpoint.hostname);
  }

  /** The URL origin and path of `key` ('' for the bucket), virtual-hosted unless the endpoint is an IP. */
  private location(key: string): { origin: string; path: string } {
    const { protocol, host } = this.target.endpoint;
    return this.pathStyle ? { origin: `${protocol}//${host}`, path: `/${this.target.bucket}/${escapeKey(key)}` } : { origin: `${protocol}//${this.target.bucket}.${host}`, path: `/${escapeKey(key)}` };
  }

  /** Headers as they are sent and signed: lower-case names, date, payload mode, token, Content-MD5 of the body. */
  signedHeaders(call: Call): Record<string, string> {
    const headers: Record<string, string> = { 'x-oss-date': v4Date(this.now()), 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
    if (this.credentials.securityToken) headers['x-oss-security-token'] = this.credentials.securityToken;
    for (const [k, v] of Object.entries(call.headers ?? {})) headers[k.toLowerCase()] = v;
    if (call.body && headers['content-md5'] === undefined) headers['content-md5'] = createHash('md5').update(call.body).digest('base64');
    headers.authorization = authorizationV4(this.credentials, this.target.region, { method: call.method, bucket: this.target.bucket, key: call.key ?? '', headers, query: call.query ?? {} });
    return headers;
  }

  /** Sends one call; resolves on 2xx with the body unread, else throws the decoded OssFailure. */
  async send(operation: string, call: Call): Promise<CloudResponse> {
    const { origin, path } = this.location(call.key ?? '');
    const query = queryString(call.query ?? {});
    const target = query ? `${path}?${query}` : path;
    let res: CloudResponse;
    try {
      res = await sendCloudRequest({
        method: call.method,
        url: new URL(origin),
        // the path as written: a URL object would resolve '.' and '..' segments of a key into another key
        path: target,
        headers: { ...this.signedHeaders(call), 'user-agent': 'dashscope-fc' },
        ...(call.body ? { body: call.body } : {}),
        timeoutMs: this.target.timeoutMs,
      });
    } catch (e) {
      throw networkFailure(operation, e);
    }
    if (res.status >= 200 && res.status < 300) return res;
    throw await errorFailure(operation, call.method, res);
  }

  private async xml(operation: string, call: Call): Promise<{ xml: string; headers: Headers }> {
    const res = await this.send(operation, call);
    const xml = (await readAll(res, MAX_XML_BYTES).catch((e: unknown) => Promise.reject(networkFailure(operation, e)))).toString('utf8');
    return { xml, headers: flatHeaders(res) };
  }

  private async headersOnly(operation: string, call: Call): Promise<OssResponse> {
    const res = await this.send(operation, call);
    discard(res);
    return { status: res.status, headers: flatHeaders(res) };
  }

  put(key: string, body: Buffer, headers: Record<string, string>): Promise<OssResponse> {
    return this.headersOnly('PutObject', { method: 'PUT', key, headers, body });
  }

  head(key: string): Promise<OssResponse> {
    return this.headersOnly('HeadObject', { method: 'HEAD', key });
  }

  /** The object's headers and its body as a stream (read it or destroy it). */
  async getStream(key: string): Promise<OssResponse & { stream: IncomingMessage }> {
    const res = await this.send('GetObject', { method: 'GET', key });
    return { status: res.status, headers: flatHeaders(res), stream: res.body };
  }

  delete(key: string): Promise<OssResponse> {
    return this.headersOnly('DeleteObject', { method: 'DELETE', key });
  }

  async initMultipartUpload(key: string, headers: Record<string, string>): Promise<{ uploadId: string }> {
    const { xml, headers: h } = await this.xml('InitiateMultipartUpload', { method: 'POST', key, query: { uploads: '' }, headers });
    const uploadId = xmlText(xml, 'UploadId');
    if (!uploadId) throw new OssFailure('InitiateMultipartUpload', 200, 'MalformedResponse', h['x-oss-request-id']);
    return { uploadId };
  }

  /** Returns the part's ETag. */
  async uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<string> {
    const r = await this.headersOnly('UploadPart', { method: 'PUT', key, query: { partNumber: String(partNumber), uploadId }, body });
    if (!r.headers.etag) throw new OssFailure('UploadPart', r.status, 'MissingETag', r.headers['x-oss-request-id']);
    return r.headers.etag;
  }

  /** Completes with the parts in number order; returns the answer's headers (the CRC-64) and the object's ETag. */
  async completeMultipartUpload(key: string, uploadId: string, parts: { number: number; etag: string }[], headers: Record<string, string> = {}): Promise<{ etag: string | undefined; headers: Headers }> {
    const list = [...parts]
      .sort((a, b) => a.number - b.number)
      .map((p) => `<Part><PartNumber>${p.number}</PartNumber><ETag>${escapeXml(p.etag)}</ETag></Part>`)
      .join('');
    const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>${list}</CompleteMultipartUpload>`);
    const r = await this.xml('CompleteMultipartUpload', { method: 'POST', key, query: { uploadId }, headers: { ...headers, 'content-type': 'application/xml' }, body });
    return { etag: xmlText(r.xml, 'ETag') ?? r.headers.etag, headers: r.headers };
  }

  abortMultipartUpload(key: string, uploadId: string): Promise<OssResponse> {
    return this.headersOnly('AbortMultipartUpload', { method: 'DELETE', key, query: { uploadId } });
  }

  /** CopyObject from `source` (`/<bucket>/<encoded key>`); returns the new object's ETag. */
  async copyObject(key: string, source: string, headers: Record<string, string>): Promise<string | undefined> {
    const r = await this.xml('CopyObject', { method: 'PUT', key, headers: { ...headers, 'x-oss-copy-source': source } });
    return xmlText(r.xml, 'ETag') ?? r.headers.etag;
  }

  /** UploadPartCopy of `range` (inclusive byte offsets) of `source`; returns the part's ETag. */
  async uploadPartCopy(key: string, uploadId: string, partNumber: number, source: string, range: { start: number; end: number }): Promise<string> {
    const r = await this.xml('UploadPartCopy', {
      method: 'PUT',
      key,
      query: { partNumber: String(partNumber), uploadId },
      headers: { 'x-oss-copy-source': source, 'x-oss-copy-source-range': `bytes=${range.start}-${range.end}` },
    });
    const etag = xmlText(r.xml, 'ETag') ?? r.headers.etag;
    if (!etag) throw new OssFailure('UploadPartCopy', 200, 'MissingETag', r.headers['x-oss-request-id']);
    return etag;
  }

  /** A presigned V4 URL for `method` on `key`, valid `expiresSeconds` from now. */
  signUrl(method: string, key: string, expiresSeconds: number): string {
    const query = presignV4(this.credentials, this.target.region, { method, bucket: this.target.bucket, key, query: {} }, this.now(), expiresSeconds);
    const { origin, path } = this.location(key);
    return `${origin}${path}?${queryString(query)}`;
  }

  /** GetBucketInfo: the bucket's region (`oss-cn-hangzhou`); throws NoSuchBucket (404) when there is none. */
  async getBucketInfo(): Promise<{ location: string | undefined }> {
    const { xml } = await this.xml('GetBucketInfo', { method: 'GET', query: { bucketInfo: '' } });
    return { location: xmlText(xml, 'Location') };
  }

  /** PutBucket: a private bucket of standard storage, in the region of the endpoint. */
  async putBucket(): Promise<void> {
    const body = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<CreateBucketConfiguration><StorageClass>Standard</StorageClass></CreateBucketConfiguration>');
    await this.headersOnly('PutBucket', { method: 'PUT', headers: { 'x-oss-acl': 'private', 'content-type': 'application/xml' }, body });
  }

  /** The bucket's lifecycle rules ([] when it has none). */
  async getBucketLifecycle(): Promise<LifecycleRule[]> {
    try {
      return parseLifecycle((await this.xml('GetBucketLifecycle', { method: 'GET', query: { lifecycle: '' } })).xml);
    } catch (e) {
      if (e instanceof OssFailure && e.code === 'NoSuchLifecycle') return [];
      throw e;
    }
  }

  /** Replaces the bucket's lifecycle configuration with `rules` (OSS requires Content-MD5 here; every body has it). */
  async putBucketLifecycle(rules: LifecycleRule[]): Promise<void> {
    await this.headersOnly('PutBucketLifecycle', { method: 'PUT', query: { lifecycle: '' }, headers: { 'content-type': 'application/xml' }, body: Buffer.from(lifecycleXml(rules)) });
  }

  async deleteBucketLifecycle(): Promise<void> {
    await this.headersOnly('DeleteBucketLifecycle', { method: 'DELETE', query: { lifecycle: '' } });
  }
}

function networkFailure(operation: string, e: unknown): OssFailure {
  if (e instanceof OssFailure) return e;
  if (e instanceof CloudNetworkError) {
    if (e.reason === 'timeout') return new OssFailure(operation, -2, 'Timeout', undefined);
    if (e.reason === 'aborted') return new OssFailure(operation, -3, 'Aborted', undefined);
    return new OssFailure(operation, -1, 'NetworkError', undefined);
  }
  // refused before sending (e.g. a header value Node will not write): not worth another attempt
  const code = (e as { code?: unknown } | undefined)?.code;
  return new OssFailure(operation, 0, typeof code === 'string' ? code : 'InvalidRequest', undefined);
}

/**
 * OSS's error answer as an OssFailure: Code and RequestId from the XML body (HEAD answers carry it base64 in
 * x-oss-err). Nothing else of the answer is kept: OSS's messages may quote the request it refused.
 */
async function errorFailure(operation: string, method: string, res: CloudResponse): Promise<OssFailure> {
  const headerId = headerValue(res.headers, 'x-oss-request-id');
  let xml = '';
  const err = headerValue(res.headers, 'x-oss-err');
  if (method === 'HEAD') {
    discard(res);
    if (err) xml = Buffer.from(err, 'base64').toString('utf8');
  } else {
    xml = (await readAll(res, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8');
  }
  const code = xml ? xmlText(xml, 'Code') : undefined;
  const requestId = (xml ? xmlText(xml, 'RequestId') : undefined) ?? headerId;
  if (code) return new OssFailure(operation, res.status, code, requestId);
  // no body (a HEAD without x-oss-err): the status says what it can
  if (!xml.trim()) return new OssFailure(operation, res.status, res.status === 404 ? 'NoSuchKey' : res.status === 412 ? 'PreconditionFailed' : `HTTP${res.status}`, requestId);
  return new OssFailure(operation, res.status, 'UnreadableErrorResponse', requestId);
}
