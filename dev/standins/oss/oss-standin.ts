// A wire-level OSS stand-in for tests: node:http speaking OSS's REST API (object and multipart operations,
// bucket info, creation and lifecycle, XML errors, V4 signatures, STS tokens, presigned URLs), FC-shaped
// ObjectCreated events and faults on demand.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as bucketOps from './bucket-handlers.ts';
import { BucketStore } from './bucket-store.ts';
import { Faults, type OssOp } from './faults.ts';
import * as ops from './object-handlers.ts';
import { objectCreatedEvent, type OssNotification } from './notification.ts';
import { verifyV4, type Credential } from './v4-signature.ts';
import { newRequestId, OssError, sendError } from './wire.ts';

export interface OssStandinOptions {
  /** Standard region the V4 scope must name (what ali-oss derives from `oss-<region>`). */
  region?: string;
  /** Buckets that exist from the start (default `['test-bucket']`; `[]` for none, to be made by PutBucket). */
  buckets?: string[];
  /** Buckets that exist but belong to another account: PutBucket says BucketAlreadyExists, GetBucketInfo AccessDenied. */
  othersBuckets?: string[];
  /** accessKeyId → secret (and STS token); requests signed with anything else are refused. */
  credentials: Record<string, Credential>;
  /** Folder for object bodies (default: a new temp folder, removed on close). */
  dir?: string;
  /** How many times each ObjectCreated event is delivered (OSS triggers are at-least-once). */
  eventDeliveries?: number;
}

export interface LoggedRequest {
  op: OssOp;
  key: string;
  status: number;
}

export type ObjectCreatedListener = (event: OssNotification) => void;

// what ali-oss sends as Host when its endpoint is an IP: <bucket>.oss-<region>[-internal].aliyuncs.com
const VIRTUAL_HOST = /^([a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.oss-[a-z0-9-]+\.aliyuncs\.com(?::\d+)?$/;

export class OssStandin {
  readonly faults = new Faults();
  readonly log: LoggedRequest[] = [];
  readonly region: string;
  private readonly store: BucketStore;
  private readonly credentials = new Map<string, Credential>();
  private readonly expiredTokens = new Set<string>();
  private readonly listeners = new Set<ObjectCreatedListener>();
  private clockOffsetMs = 0;
  private server!: Server;
  private ownDir: string | undefined;
  endpoint = '';

  private constructor(private readonly options: OssStandinOptions) {
    this.region = options.region ?? 'cn-hangzhou';
    this.ownDir = options.dir ? undefined : mkdtempSync(join(tmpdir(), 'oss-standin-'));
    this.store = new BucketStore(options.dir ?? this.ownDir!, options.buckets ?? ['test-bucket']);
    for (const [id, c] of Object.entries(options.credentials)) this.credentials.set(id, c);
  }

  static async start(options: OssStandinOptions): Promise<OssStandin> {
    const s = new OssStandin(options);
    s.server = createServer((req, res) => void s.handle(req, res));
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.endpoint = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  /** Adds or replaces credentials (e.g. the next STS token after a rotation). */
  setCredential(accessKeyId: string, credential: Credential): void {
    this.credentials.set(accessKeyId, credential);
  }

  /** From now on requests carrying `token` get 403 SecurityTokenExpired. */
  expireToken(token: string): void {
    this.expiredTokens.add(token);
  }

  /** Moves the stand-in's clock (presigned URL expiry) forward. */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  onObjectCreated(listener: ObjectCreatedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Keys visible in `bucket`, sorted. */
  keys(bucket = this.options.buckets?.[0] ?? 'test-bucket'): string[] {
    return this.store.keys(bucket);
  }

  /** Multipart uploads initiated and neither completed nor aborted. */
  openUploads(): number {
    return this.store.uploads.size;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
    if (this.ownDir) rmSync(this.ownDir, { recursive: true, force: true });
  }

  private now = (): Date => new Date(Date.now() + this.clockOffsetMs);

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split('?', 2);
    const query: [string, string][] = rawQuery
      .split('&')
      .filter(Boolean)
      .map((p) => {
        const i = p.indexOf('=');
        return i < 0 ? [decodeURIComponent(p), ''] : [decodeURIComponent(p.slice(0, i)), decodeURIComponent(p.slice(i + 1))];
      });
    const q = new Map(query);
    const vhost = VIRTUAL_HOST.exec(String(req.headers.host ?? ''));
    const path = decodeURIComponent(rawPath.slice(1));
    const bucket = vhost ? vhost[1]! : path.split('/')[0]!;
    const key = vhost ? path : path.split('/').slice(1).join('/');
    const op = key ? operation(req, q) : bucketOperation(req, q);
    let status = 200;
    try {
      if (!op) throw new OssError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      verifyV4({ method: req.method ?? 'GET', bucket, key, query, headers: req.headers }, this.region, this.credentials, this.expiredTokens, this.now().getTime());
      const c: ops.OpContext = { req, res, store: this.store, bucket, key, query: q, requestId, now: this.now };
      let drop = false;
      for (const f of this.faults.take(op, key)) {
        if ('latencyMs' in f) await sleep(f.latencyMs);
        else if ('status' in f) throw new OssError(f.status, f.code, f.message ?? `Injected ${f.code}.`);
        else if ('truncateTo' in f) c.keepBytes = f.truncateTo;
        else drop = true;
      }
      await this.dispatch(op, c, drop);
    } catch (e) {
      const err = e instanceof OssError ? e : new OssError(500, 'InternalError', 'We encountered an internal error. Please try again.');
      status = err.status;
      req.resume();
      if (res.headersSent || req.socket.destroyed) res.destroy();
      else sendError(res, req, requestId, err);
    } finally {
      this.log.push({ op: op ?? 'GetObject', key, status: status === 200 ? res.statusCode : status });
    }
  }

  private async dispatch(op: OssOp, c: ops.OpContext, drop: boolean): Promise<void> {
    const write = async (run: () => Promise<ops.Created>, answer: (c: ops.OpContext, created: ops.Created) => void): Promise<void> => {
      const created = await run();
      this.notify(c, created);
      if (drop) c.req.socket.destroy();
      else answer(c, created);
    };
    switch (op) {
      case 'PutObject':
        return write(() => ops.putObject(c), ops.answerWrite);
      case 'CopyObject':
        return write(() => ops.copyObject(c), ops.answerCopy);
      case 'CompleteMultipartUpload':
        return write(() => ops.completeUpload(c), ops.answerComplete);
      case 'UploadPart': {
        const part = await ops.uploadPart(c);
        if (drop) c.req.socket.destroy();
        else ops.answerWrite(c, { eventName: 'ObjectCreated:PutObject', object: part });
        return;
      }
      case 'UploadPartCopy':
        return ops.uploadPartCopy(c);
      case 'GetObject':
      case 'HeadObject':
        return ops.getObject(c, op === 'HeadObject');
      case 'DeleteObject':
        return ops.deleteObject(c);
      case 'InitiateMultipartUpload':
        return ops.initiateUpload(c);
      case 'AbortMultipartUpload':
        return ops.abortUpload(c);
      case 'GetBucketInfo':
        return bucketOps.getBucketInfo(c, this.region, new Set(this.options.othersBuckets ?? []));
      case 'PutBucket':
        return bucketOps.putBucket(c, new Set(this.options.othersBuckets ?? []));
      case 'GetBucketLifecycle':
        return bucketOps.getBucketLifecycle(c);
      case 'PutBucketLifecycle':
        return bucketOps.putBucketLifecycle(c);
      case 'DeleteBucketLifecycle':
        return bucketOps.deleteBucketLifecycle(c);
    }
  }

  private notify(c: ops.OpContext, created: ops.Created): void {
    const event = objectCreatedEvent({ region: this.region, bucket: c.bucket, key: c.key, created, requestId: c.requestId, sourceIp: c.req.socket.remoteAddress ?? '', time: this.now() });
    // OSS notifies after the write, asynchronously, and possibly more than once
    for (let i = 0; i < (this.options.eventDeliveries ?? 1); i++) {
      setImmediate(() => {
        for (const l of this.listeners) l(structuredClone(event));
      });
    }
  }
}

/** A request on the bucket itself (no key); listing objects is not supported. */
function bucketOperation(req: IncomingMessage, q: Map<string, string>): OssOp | undefined {
  if (q.has('lifecycle')) return req.method === 'GET' ? 'GetBucketLifecycle' : req.method === 'PUT' ? 'PutBucketLifecycle' : req.method === 'DELETE' ? 'DeleteBucketLifecycle' : undefined;
  if (req.method === 'GET' && q.has('bucketInfo')) return 'GetBucketInfo';
  if (req.method === 'PUT' && q.size === 0) return 'PutBucket';
  return undefined;
}

function operation(req: IncomingMessage, q: Map<string, string>): OssOp | undefined {
  switch (req.method) {
    case 'PUT':
      if (q.has('partNumber') && q.has('uploadId')) return req.headers['x-oss-copy-source'] !== undefined ? 'UploadPartCopy' : 'UploadPart';
      return req.headers['x-oss-copy-source'] !== undefined ? 'CopyObject' : 'PutObject';
    case 'POST':
      return q.has('uploads') ? 'InitiateMultipartUpload' : q.has('uploadId') ? 'CompleteMultipartUpload' : undefined;
    case 'DELETE':
      return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'GET':
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    default:
      return undefined;
  }
}
