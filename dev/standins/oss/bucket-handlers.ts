// The OSS stand-in's bucket operations: GetBucketInfo, PutBucket and the lifecycle configuration (Get, Put with
// its required Content-MD5, Delete), checked and answered as OSS does. Rules are stored, never run.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { OpContext } from './object-handlers.ts';
import { OssError, sendXml } from './wire.ts';

const ACLS = new Set(['private', 'public-read', 'public-read-write']);
const STORAGE = new Set(['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive']);
const ACTIONS = ['Expiration', 'Transition', 'AbortMultipartUpload', 'NoncurrentVersionExpiration', 'NoncurrentVersionTransition'];

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const inner = (xml: string, tag: string): string | undefined => new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml)?.[1];

export function getBucketInfo(c: OpContext, region: string, othersBuckets: ReadonlySet<string>): void {
  if (othersBuckets.has(c.bucket)) throw new OssError(403, 'AccessDenied', 'You have no right to access this bucket.');
  const info = c.store.bucketInfo(c.bucket);
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<BucketInfo><Bucket><CreationDate>${info.created.toISOString()}</CreationDate><ExtranetEndpoint>oss-${region}.aliyuncs.com</ExtranetEndpoint>`,
    `<IntranetEndpoint>oss-${region}-internal.aliyuncs.com</IntranetEndpoint><Location>oss-${region}</Location><Name>${c.bucket}</Name>`,
    `<StorageClass>${info.storageClass}</StorageClass><AccessControlList><Grant>${info.acl}</Grant></AccessControlList></Bucket></BucketInfo>`,
  ].join('');
  sendXml(c.res, 200, xml, { 'x-oss-request-id': c.requestId });
}

export async function putBucket(c: OpContext, othersBuckets: ReadonlySet<string>): Promise<void> {
  const xml = (await body(c.req)).toString('utf8');
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(c.bucket)) throw new OssError(400, 'InvalidBucketName', 'The specified bucket is not valid.');
  if (c.store.has(c.bucket) || othersBuckets.has(c.bucket)) throw new OssError(409, 'BucketAlreadyExists', 'The requested bucket name is not available.');
  const acl = String(c.req.headers['x-oss-acl'] ?? 'private');
  const storageClass = inner(xml, 'StorageClass') ?? 'Standard';
  if (!ACLS.has(acl) || !STORAGE.has(storageClass)) throw new OssError(400, 'InvalidArgument', 'The ACL or storage class is not valid.');
  c.store.create(c.bucket, acl, storageClass);
  c.res.writeHead(200, { 'x-oss-request-id': c.requestId, location: `/${c.bucket}`, 'content-length': '0' });
  c.res.end();
}

export function getBucketLifecycle(c: OpContext): void {
  const rules = c.store.bucketInfo(c.bucket).lifecycle;
  if (!rules) throw new OssError(404, 'NoSuchLifecycle', 'No Row found in Lifecycle Table.', { BucketName: c.bucket });
  sendXml(c.res, 200, `<?xml version="1.0" encoding="UTF-8"?>\n<LifecycleConfiguration>\n${rules.join('\n')}\n</LifecycleConfiguration>\n`, { 'x-oss-request-id': c.requestId });
}

/** Checks what OSS checks of a lifecycle configuration (IDs unique, Prefix, Status, an action with whole days). */
function checkRules(xml: string): string[] {
  const config = inner(xml, 'LifecycleConfiguration');
  const rules = config === undefined ? [] : [...config.matchAll(/<Rule>[\s\S]*?<\/Rule>/g)].map((m) => m[0]);
  if (rules.length === 0 || rules.length > 1000) throw new OssError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  const ids = new Set<string>();
  for (const rule of rules) {
    const id = inner(rule, 'ID') ?? '';
    const status = inner(rule, 'Status');
    const actions = ACTIONS.filter((a) => rule.includes(`<${a}>`));
    const days = [...rule.matchAll(/<Days>([^<]*)<\/Days>/g)].map((m) => m[1]!);
    if (!rule.includes('<Prefix>') && !rule.includes('<Prefix/>') && !rule.includes('<Filter>')) throw new OssError(400, 'MalformedXML', `Rule ${id} has no Prefix.`);
    if (status !== 'Enabled' && status !== 'Disabled') throw new OssError(400, 'MalformedXML', `Rule ${id} has no valid Status.`);
    if (actions.length === 0) throw new OssError(400, 'InvalidArgument', `Rule ${id} has no action.`);
    if (days.some((d) => !/^[1-9]\d*$/.test(d))) throw new OssError(400, 'InvalidArgument', `Rule ${id}: Days must be a positive integer.`);
    if (id.length > 255 || ids.has(id)) throw new OssError(400, 'InvalidArgument', `Rule ID ${id.slice(0, 40)} is duplicated or too long.`);
    ids.add(id);
  }
  return rules;
}

export async function putBucketLifecycle(c: OpContext): Promise<void> {
  c.store.bucketInfo(c.bucket);
  const raw = await body(c.req);
  const md5 = c.req.headers['content-md5'];
  // OSS refuses this call without Content-MD5 (the error code here is the stand-in's best knowledge)
  if (typeof md5 !== 'string') throw new OssError(400, 'MissingArgument', 'Missing Some Required Arguments: Content-MD5.');
  if (md5 !== createHash('md5').update(raw).digest('base64')) throw new OssError(400, 'InvalidDigest', 'The Content-MD5 you specified did not match what we received.');
  c.store.bucketInfo(c.bucket).lifecycle = checkRules(raw.toString('utf8'));
  c.res.writeHead(200, { 'x-oss-request-id': c.requestId, 'content-length': '0' });
  c.res.end();
}

export function deleteBucketLifecycle(c: OpContext): void {
  delete c.store.bucketInfo(c.bucket).lifecycle;
  c.res.writeHead(204, { 'x-oss-request-id': c.requestId });
  c.res.end();
}
