// The OSS stand-in's object operations: PutObject, GetObject, HeadObject, CopyObject, DeleteObject and the
// multipart upload (Initiate, UploadPart, Complete, Abort), each as OSS answers it on the wire.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, open, unlink } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Crc64 } from '../../../shared/adapters/oss/crc64.ts';
import type { BucketStore, StoredObject } from './bucket-store.ts';
import { checkContentMd5, OssError, receiveBody, sendXml, xml } from './wire.ts';

export interface OpContext {
  req: IncomingMessage;
  res: ServerResponse;
  store: BucketStore;
  bucket: string;
  key: string;
  query: Map<string, string>;
  requestId: string;
  /** Set by the truncation fault: bytes of the body that are kept. */
  keepBytes?: number;
  now: () => Date;
}

/** What a write made visible, for the notification and the drop-after-commit fault. */
export interface Created {
  eventName: 'ObjectCreated:PutObject' | 'ObjectCreated:CopyObject' | 'ObjectCreated:CompleteMultipartUpload';
  object: StoredObject;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};
const forbidOverwrite = (req: IncomingMessage): boolean => header(req, 'x-oss-forbid-overwrite')?.toLowerCase() === 'true';
const userMeta = (req: IncomingMessage): Record<string, string> =>
  Object.fromEntries(Object.entries(req.headers).flatMap(([k, v]) => (k.startsWith('x-oss-meta-') && v !== undefined ? [[k.slice(11), String(v)]] : [])));
const quoted = (etag: string): string => `"${etag}"`;

function objectHeaders(o: StoredObject): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': o.contentType,
    'content-length': String(o.size),
    etag: quoted(o.etag),
    'last-modified': o.lastModified.toUTCString(),
    'x-oss-hash-crc64ecma': o.crc64,
    'x-oss-object-type': o.type,
  };
  for (const [k, v] of Object.entries(o.meta)) h[`x-oss-meta-${k}`] = v;
  return h;
}

/** The request body into a new file, refused (and the file removed) when its Content-MD5 does not match. */
async function receiveChecked(c: OpContext): Promise<{ file: string; got: Awaited<ReturnType<typeof receiveBody>>; etag: string }> {
  const file = c.store.newFile();
  const got = await receiveBody(c.req, file, c.keepBytes);
  try {
    checkContentMd5(header(c.req, 'content-md5'), got.md5);
  } catch (e) {
    await unlink(file).catch(() => undefined);
    throw e;
  }
  return { file, got, etag: got.md5.toString('hex').toUpperCase() };
}

export async function putObject(c: OpContext): Promise<Created> {
  const { file, got, etag } = await receiveChecked(c);
  const object: StoredObject = {
    file,
    size: got.bytes,
    contentType: header(c.req, 'content-type') ?? 'application/octet-stream',
    meta: userMeta(c.req),
    etag,
    crc64: got.crc64,
    type: 'Normal',
    lastModified: c.now(),
  };
  await c.store.commit(c.bucket, c.key, object, forbidOverwrite(c.req));
  return { eventName: 'ObjectCreated:PutObject', object };
}

export function answerWrite(c: OpContext, created: Created): void {
  c.res.writeHead(200, { etag: quoted(created.object.etag), 'x-oss-hash-crc64ecma': created.object.crc64, 'x-oss-request-id': c.requestId, 'content-length': '0' });
  c.res.end();
}

export async function getObject(c: OpContext, headOnly: boolean): Promise<void> {
  const o = c.store.get(c.bucket, c.key);
  if (headOnly) {
    c.res.writeHead(200, { ...objectHeaders(o), 'x-oss-request-id': c.requestId });
    c.res.end();
    return;
  }
  // opened before answering: a concurrent overwrite unlinks the name, not what is being read
  const fh = await open(o.file, 'r');
  c.res.writeHead(200, { ...objectHeaders(o), 'x-oss-request-id': c.requestId });
  await pipeline(fh.createReadStream(), c.res).catch(() => undefined);
}

export async function copyObject(c: OpContext): Promise<Created> {
  const m = /^\/([^/]+)\/(.+)$/.exec(header(c.req, 'x-oss-copy-source') ?? '');
  if (!m) throw new OssError(400, 'InvalidArgument', 'x-oss-copy-source is malformed.');
  const source = c.store.get(m[1]!, decodeURIComponent(m[2]!));
  const replace = header(c.req, 'x-oss-metadata-directive')?.toUpperCase() === 'REPLACE';
  const file = c.store.newFile();
  await copyFile(source.file, file);
  const object: StoredObject = {
    ...source,
    file,
    contentType: replace ? (header(c.req, 'content-type') ?? 'application/octet-stream') : source.contentType,
    meta: replace ? userMeta(c.req) : { ...source.meta },
    lastModified: c.now(),
  };
  await c.store.commit(c.bucket, c.key, object, forbidOverwrite(c.req));
  return { eventName: 'ObjectCreated:CopyObject', object };
}

export function answerCopy(c: OpContext, created: Created): void {
  const body = xml('CopyObjectResult', { ETag: quoted(created.object.etag), LastModified: created.object.lastModified.toISOString() });
  sendXml(c.res, 200, body, { 'x-oss-request-id': c.requestId, 'x-oss-hash-crc64ecma': created.object.crc64 });
}

export async function deleteObject(c: OpContext): Promise<void> {
  await c.store.delete(c.bucket, c.key);
  c.res.writeHead(204, { 'x-oss-request-id': c.requestId });
  c.res.end();
}

export function initiateUpload(c: OpContext): void {
  c.store.bucket(c.bucket);
  const uploadId = randomBytes(16).toString('hex').toUpperCase();
  c.store.uploads.set(uploadId, { bucket: c.bucket, key: c.key, contentType: header(c.req, 'content-type') ?? 'application/octet-stream', meta: userMeta(c.req), parts: new Map() });
  sendXml(c.res, 200, xml('InitiateMultipartUploadResult', { Bucket: c.bucket, Key: c.key, UploadId: uploadId }), { 'x-oss-request-id': c.requestId });
}

function upload(c: OpContext) {
  const id = c.query.get('uploadId') ?? '';
  const u = c.store.uploads.get(id);
  if (!u || u.bucket !== c.bucket || u.key !== c.key) throw new OssError(404, 'NoSuchUpload', 'The specified upload does not exist.', { UploadId: id });
  return { id, u };
}

export async function uploadPart(c: OpContext): Promise<Created['object']> {
  const { u } = upload(c);
  const n = Number(c.query.get('partNumber'));
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new OssError(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000.');
  const { file, got, etag } = await receiveChecked(c);
  const previous = u.parts.get(n);
  u.parts.set(n, { file, size: got.bytes, etag });
  if (previous) await unlink(previous.file).catch(() => undefined);
  return { file, size: got.bytes, contentType: '', meta: {}, etag, crc64: got.crc64, type: 'Normal', lastModified: c.now() };
}

export async function uploadPartCopy(c: OpContext): Promise<void> {
  const { u } = upload(c);
  const n = Number(c.query.get('partNumber'));
  const m = /^\/([^/]+)\/(.+)$/.exec(header(c.req, 'x-oss-copy-source') ?? '');
  if (!m || !Number.isInteger(n) || n < 1 || n > 10_000) throw new OssError(400, 'InvalidArgument', 'x-oss-copy-source or partNumber is malformed.');
  const source = c.store.get(m[1]!, decodeURIComponent(m[2]!));
  const r = /^bytes=(\d+)-(\d+)$/.exec(header(c.req, 'x-oss-copy-source-range') ?? `bytes=0-${source.size - 1}`);
  const [start, end] = r ? [Number(r[1]), Number(r[2])] : [NaN, NaN];
  if (!(start <= end && end < source.size)) throw new OssError(400, 'InvalidArgument', 'x-oss-copy-source-range is not within the source object.');
  const file = c.store.newFile();
  const md5 = createHash('md5');
  const out = await open(file, 'w');
  try {
    for await (const chunk of createReadStream(source.file, { start, end })) {
      md5.update(chunk as Buffer);
      await out.write(chunk as Buffer);
    }
  } finally {
    await out.close();
  }
  const etag = md5.digest('hex').toUpperCase();
  const previous = u.parts.get(n);
  u.parts.set(n, { file, size: end - start + 1, etag });
  if (previous) await unlink(previous.file).catch(() => undefined);
  sendXml(c.res, 200, xml('CopyPartResult', { LastModified: c.now().toISOString(), ETag: quoted(etag) }), { 'x-oss-request-id': c.requestId });
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function completeUpload(c: OpContext): Promise<Created> {
  const { id, u } = upload(c);
  const listed = [...(await readAll(c.req)).matchAll(/<Part>\s*<PartNumber>(\d+)<\/PartNumber>\s*<ETag>"?([0-9A-Fa-f]+)"?<\/ETag>\s*<\/Part>/g)].map((m) => ({ n: Number(m[1]), etag: m[2]!.toUpperCase() }));
  if (listed.length === 0) throw new OssError(400, 'MalformedXML', 'The XML you provided was not well-formed.');
  const parts = listed.map(({ n, etag }, i) => {
    const p = u.parts.get(n);
    if (!p || p.etag !== etag) throw new OssError(400, 'InvalidPart', `Part ${n} was not uploaded or its ETag does not match.`);
    if (i > 0 && n <= listed[i - 1]!.n) throw new OssError(400, 'InvalidPartOrder', 'Parts must be listed in ascending order.');
    if (i < listed.length - 1 && p.size < 100 * 1024) throw new OssError(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.');
    return p;
  });
  const file = c.store.newFile();
  const crc = new Crc64();
  const out = await open(file, 'w');
  try {
    let room = c.keepBytes ?? Number.POSITIVE_INFINITY;
    for (const p of parts) {
      for await (const chunk of createReadStream(p.file)) {
        const kept = (chunk as Buffer).subarray(0, Math.max(0, Math.min((chunk as Buffer).length, room)));
        room -= kept.length;
        crc.update(kept);
        await out.write(kept);
      }
    }
  } finally {
    await out.close();
  }
  const etag = `${createHash('md5').update(Buffer.concat(parts.map((p) => Buffer.from(p.etag, 'hex')))).digest('hex').toUpperCase()}-${parts.length}`;
  const size = Math.min(c.keepBytes ?? Number.POSITIVE_INFINITY, parts.reduce((s, p) => s + p.size, 0));
  const object: StoredObject = { file, size, contentType: u.contentType, meta: u.meta, etag, crc64: crc.digest(), type: 'Multipart', lastModified: c.now() };
  await c.store.commit(c.bucket, c.key, object, forbidOverwrite(c.req));
  c.store.uploads.delete(id);
  for (const p of u.parts.values()) await unlink(p.file).catch(() => undefined);
  return { eventName: 'ObjectCreated:CompleteMultipartUpload', object };
}

export function answerComplete(c: OpContext, created: Created): void {
  const body = xml('CompleteMultipartUploadResult', { Bucket: c.bucket, Key: c.key, ETag: quoted(created.object.etag) });
  sendXml(c.res, 200, body, { 'x-oss-request-id': c.requestId, 'x-oss-hash-crc64ecma': created.object.crc64 });
}

export async function abortUpload(c: OpContext): Promise<void> {
  const { id, u } = upload(c);
  c.store.uploads.delete(id);
  for (const p of u.parts.values()) await unlink(p.file).catch(() => undefined);
  c.res.writeHead(204, { 'x-oss-request-id': c.requestId });
  c.res.end();
}
