// Runs the ObjectStore contract against the OSS adapter over the wire-level OSS stand-in (and against real
// OSS when OSS_TEST_* variables are set), plus what only OSS brings: signatures, STS rotation, faults, events.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { OssNotification } from '../../dev/standins/oss/notification.ts';
import { OssStandin } from '../../dev/standins/oss/oss-standin.ts';
import type { OssCredentials } from '../../shared/adapters/oss/oss-client.ts';
import { OssObjectStore, type OssObjectStoreOptions } from '../../shared/adapters/oss/oss-object-store.ts';
import { ObjectAlreadyExistsError, ObjectStoreError } from '../../shared/ports/object-store.ts';
import { ossEventSchema } from '../../shared/runtime/fc.ts';
import { runObjectStoreContract } from './object-store-contract.ts';

const AK: OssCredentials = { accessKeyId: 'LTAI-test', accessKeySecret: 'test-secret' };
const standin = (): Promise<OssStandin> => OssStandin.start({ credentials: { [AK.accessKeyId]: { accessKeySecret: AK.accessKeySecret } } });
const storeOver = (s: OssStandin, extra: Partial<OssObjectStoreOptions> = {}): OssObjectStore =>
  new OssObjectStore({ bucket: 'test-bucket', region: 'cn-hangzhou', endpoint: s.endpoint, publicEndpoint: s.endpoint, credentials: async () => AK, backoffMs: 5, ...extra });

runObjectStoreContract('OssObjectStore over the OSS stand-in', {
  create: async () => {
    const s = await standin();
    return { store: storeOver(s), close: () => s.close() };
  },
});

const env = process.env;
const real = Boolean(env.OSS_TEST_BUCKET && env.OSS_TEST_REGION && env.ALIBABA_CLOUD_ACCESS_KEY_ID && env.ALIBABA_CLOUD_ACCESS_KEY_SECRET);
describe.runIf(real)('real OSS (set OSS_TEST_BUCKET, OSS_TEST_REGION, ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET to run)', () => {
  runObjectStoreContract('OssObjectStore on real OSS', {
    create: async () => ({
      store: new OssObjectStore({
        bucket: env.OSS_TEST_BUCKET!,
        region: env.OSS_TEST_REGION!,
        ...(env.OSS_TEST_ENDPOINT ? { endpoint: env.OSS_TEST_ENDPOINT } : {}),
        ...(env.OSS_TEST_PUBLIC_ENDPOINT ? { publicEndpoint: env.OSS_TEST_PUBLIC_ENDPOINT } : {}),
        credentials: async () => ({
          accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID!,
          accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET!,
          ...(env.ALIBABA_CLOUD_SECURITY_TOKEN ? { securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN } : {}),
        }),
      }),
      close: async () => undefined,
    }),
  });
});
if (!real) describe.skip('real OSS: skipped, OSS_TEST_BUCKET, OSS_TEST_REGION and ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET are not set', () => it('runs the contract', () => undefined));

async function* chunks(total: number, size: number, fill = 1, hash?: ReturnType<typeof createHash>, onChunk?: () => void): AsyncGenerator<Buffer> {
  for (let sent = 0, i = 0; sent < total; sent += size, i++) {
    const b = Buffer.alloc(Math.min(size, total - sent), (fill + i) % 256);
    hash?.update(b);
    onChunk?.();
    yield b;
  }
}
const sha256 = async (body: Readable): Promise<string> => {
  const h = createHash('sha256');
  for await (const c of body) h.update(c as Buffer);
  return h.digest('hex');
};

describe('OssObjectStore over the OSS stand-in', () => {
  let s: OssStandin;
  afterEach(async () => s?.close());

  it('lets exactly one of two deliveries of the same bytes create the key; the other gets ObjectAlreadyExistsError', async () => {
    s = await standin();
    const store = storeOver(s);
    const put = () => store.put('media/dup.bin', Readable.from(chunks(300 * 1024, 16 * 1024)), { contentType: 'video/mp4', createOnly: true, metadata: { sha256: 'x' } });
    const results = await Promise.allSettled([put(), put()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')?.reason).toBeInstanceOf(ObjectAlreadyExistsError);
    expect(s.keys()).toEqual(['media/dup.bin']);
  });

  it('streams 200 MB through multipart with memory far below the object size', { timeout: 120_000 }, async () => {
    s = await standin();
    const store = storeOver(s);
    const size = 200 * 1024 * 1024;
    const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const before = used();
    let peak = before;
    const hash = createHash('sha256');
    const meta = await store.put('media/big.mp4', Readable.from(chunks(size, 256 * 1024, 3, hash, () => void (peak = Math.max(peak, used())))), { contentType: 'video/mp4', createOnly: true });
    expect(meta.bytes).toBe(size);
    // measured around 45 MiB (parts in flight plus garbage not yet collected); a buffering put would pass 200
    expect(peak - before, 'peak growth of heap + buffers while streaming').toBeLessThan(120 * 1024 * 1024);
    expect(s.log.filter((r) => r.op === 'UploadPart')).toHaveLength(25);
    expect(await store.head('media/big.mp4')).toMatchObject({ bytes: size, contentType: 'video/mp4' });
    expect(await sha256((await store.get('media/big.mp4')).body)).toBe(hash.digest('hex'));
    expect(s.keys()).toEqual(['media/big.mp4']);
  });

  it('refuses a body cut short on the way (Content-MD5) and leaves nothing under the key or in staging', async () => {
    s = await standin();
    s.faults.add({ op: 'PutObject', key: 'tmp/staging/', truncateTo: 1000 });
    await expect(storeOver(s).put('media/cut.png', Readable.from(chunks(50_000, 4096)), { contentType: 'image/png', createOnly: true })).rejects.toThrow(/InvalidDigest/);
    expect(s.keys()).toEqual([]);
  });

  it('refuses an object OSS assembled short of what was sent (CRC-64) and leaves nothing under the key', async () => {
    s = await standin();
    s.faults.add({ op: 'CompleteMultipartUpload', truncateTo: 300 * 1024 });
    const put = storeOver(s, { partBytes: 256 * 1024 }).put('media/short.mp4', Readable.from(chunks(1024 * 1024, 64 * 1024)), { contentType: 'video/mp4', createOnly: true });
    await expect(put).rejects.toThrow(/CRC-64/);
    expect(s.keys()).toEqual([]);
    expect(s.openUploads()).toBe(0);
  });

  it('refuses a multipart part cut short on the way (Content-MD5) and aborts the upload', async () => {
    s = await standin();
    const store = storeOver(s, { partBytes: 256 * 1024 });
    s.faults.add({ op: 'UploadPart', truncateTo: 1000, times: Infinity });
    await expect(store.put('media/cut.mp4', Readable.from(chunks(1024 * 1024, 64 * 1024)), { contentType: 'video/mp4' })).rejects.toThrow(/InvalidDigest/);
    expect(s.keys()).toEqual([]);
    expect(s.openUploads()).toBe(0);
  });

  it('aborts the multipart upload when the source fails midway', async () => {
    s = await standin();
    const store = storeOver(s, { partBytes: 256 * 1024 });
    async function* failing(): AsyncGenerator<Buffer> {
      yield* chunks(700 * 1024, 64 * 1024);
      throw new Error('source connection reset');
    }
    await expect(store.put('media/src.mp4', Readable.from(failing()), { contentType: 'video/mp4', createOnly: true })).rejects.toThrow('source connection reset');
    expect(s.keys()).toEqual([]);
    expect(s.openUploads()).toBe(0);
  });

  it('fetches credentials again when OSS says the STS token expired', async () => {
    s = await OssStandin.start({ credentials: { 'STS.one': { accessKeySecret: 's1', securityToken: 'tok-1' } } });
    const calls: boolean[] = [];
    let current: OssCredentials = { accessKeyId: 'STS.one', accessKeySecret: 's1', securityToken: 'tok-1' };
    const store = storeOver(s, { credentials: async ({ refresh }) => (calls.push(refresh), current) });
    await store.put('a.txt', Buffer.from('one'), { contentType: 'text/plain' });
    s.expireToken('tok-1');
    s.setCredential('STS.two', { accessKeySecret: 's2', securityToken: 'tok-2' });
    const stale = current;
    current = { accessKeyId: 'STS.two', accessKeySecret: 's2', securityToken: 'tok-2' };
    const provider = storeOver(s, { credentials: async ({ refresh }) => (calls.push(refresh), refresh ? current : stale) });
    expect(await provider.head('a.txt')).toMatchObject({ bytes: 3 });
    expect(calls).toEqual([false, false, true]);
    // a token that is no longer accepted at all is a plain failure, not a retry loop
    await expect(storeOver(s, { credentials: async () => stale }).head('a.txt')).rejects.toThrow(/SecurityTokenExpired/);
  });

  it('is refused by the stand-in with a wrong secret or a region the signature is not scoped to', async () => {
    s = await standin();
    const wrong = storeOver(s, { credentials: async () => ({ ...AK, accessKeySecret: 'not-the-secret' }) });
    await expect(wrong.put('k.txt', Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow(/SignatureDoesNotMatch/);
    await expect(wrong.head('k.txt')).rejects.toBeInstanceOf(ObjectStoreError);
    await expect(storeOver(s, { region: 'cn-beijing' }).head('k.txt')).rejects.toThrow(/SignatureDoesNotMatch/);
    expect(s.keys()).toEqual([]);
  });

  it('hands out signed URLs that stop working when they expire or are altered', async () => {
    s = await standin();
    const store = storeOver(s);
    await store.put('u/p.png', Buffer.from('png'), { contentType: 'image/png' });
    const url = await store.url('u/p.png', 60);
    expect(url).toContain('x-oss-signature-version=OSS4-HMAC-SHA256');
    expect(await (await fetch(url)).text()).toBe('png');
    expect((await fetch(url.replace('u/p.png', 'u/q.png'))).status).toBe(403);
    s.advanceClock(61_000);
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('retries throttling and 5xx, and fails cleanly (no vendor error) when they persist', async () => {
    s = await standin();
    const store = storeOver(s, { partBytes: 128 * 1024 });
    s.faults.add({ op: 'CopyObject', status: 503, code: 'SlowDown' });
    s.faults.add({ op: 'UploadPart', status: 500, code: 'InternalError' });
    await store.put('r/ok.bin', Readable.from(chunks(400 * 1024, 32 * 1024)), { contentType: 'application/octet-stream', createOnly: true });
    expect((await store.head('r/ok.bin'))?.bytes).toBe(400 * 1024);
    s.faults.add({ op: 'HeadObject', status: 503, code: 'SlowDown', times: Infinity });
    const failure = await store.head('r/ok.bin').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ObjectStoreError);
    // only the port's error: no cause, no SDK fields (the SDK's error holds the signed request headers)
    expect(Object.keys(failure as object)).toEqual(['name']);
    expect((failure as Error).cause).toBeUndefined();
    expect((failure as Error).message).toMatch(/SlowDown \(status 503, request id [0-9A-F]+\)/);
  });

  it('recognises its own create-once write when the answer to the commit is lost', async () => {
    s = await standin();
    const store = storeOver(s);
    s.faults.add({ op: 'CopyObject', dropAfterCommit: true });
    s.faults.add({ op: 'PutObject', key: 'b/', dropAfterCommit: true });
    await store.put('s/v.mp4', Readable.from(chunks(200 * 1024, 32 * 1024)), { contentType: 'video/mp4', createOnly: true, metadata: { sha256: 'abc' } });
    await store.put('b/j.json', Buffer.from('{}'), { contentType: 'application/json', createOnly: true });
    expect(await store.head('s/v.mp4')).toMatchObject({ bytes: 200 * 1024, metadata: { sha256: 'abc' } });
    await expect(store.put('s/v.mp4', Buffer.from('again'), { contentType: 'video/mp4', createOnly: true })).rejects.toBeInstanceOf(ObjectAlreadyExistsError);
    await expect(store.put('b/j.json', Buffer.from('{}'), { contentType: 'application/json', createOnly: true })).rejects.toBeInstanceOf(ObjectAlreadyExistsError);
  });

  it('commits an object above the copy limit by UploadPartCopy ranges, create-once included', async () => {
    s = await standin();
    const store = storeOver(s, { partBytes: 256 * 1024, copyLimitBytes: 300 * 1024, copyPartBytes: 200 * 1024 });
    const hash = createHash('sha256');
    await store.put('m/large.mp4', Readable.from(chunks(700 * 1024, 64 * 1024, 9, hash)), { contentType: 'video/mp4', createOnly: true, metadata: { sha256: 'h' } });
    expect(s.log.filter((r) => r.op === 'UploadPartCopy' && r.status === 200)).toHaveLength(4);
    expect(await store.head('m/large.mp4')).toMatchObject({ bytes: 700 * 1024, contentType: 'video/mp4', metadata: { sha256: 'h' } });
    expect(await sha256((await store.get('m/large.mp4')).body)).toBe(hash.digest('hex'));
    await expect(store.put('m/large.mp4', Readable.from(chunks(700 * 1024, 64 * 1024)), { contentType: 'video/mp4', createOnly: true })).rejects.toBeInstanceOf(ObjectAlreadyExistsError);
    expect(s.keys()).toEqual(['m/large.mp4']);
    expect(s.openUploads()).toBe(0);
  });

  it.each(['', '/abs', '\\win', 'k'.repeat(1024)])('refuses the key %j before any request', async (key) => {
    s = await standin();
    const store = storeOver(s);
    await expect(store.put(key, Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow(/invalid object key/);
    await expect(store.head(key)).rejects.toBeInstanceOf(ObjectStoreError);
    expect(s.log).toEqual([]);
  });

  it('refuses a configuration the SDK cannot use with the port\'s error', () => {
    expect(() => new OssObjectStore({ bucket: 'B!', region: 'cn-hangzhou', credentials: async () => AK })).toThrow(ObjectStoreError);
  });

  it('recognises a multipart Complete that committed but lost its answer, for staging and for the copy', async () => {
    s = await standin();
    const store = storeOver(s, { partBytes: 128 * 1024, copyLimitBytes: 200 * 1024, copyPartBytes: 128 * 1024 });
    s.faults.add({ op: 'CompleteMultipartUpload', key: 'tmp/staging/', dropAfterCommit: true });
    s.faults.add({ op: 'CompleteMultipartUpload', key: 'm/', dropAfterCommit: true });
    await store.put('m/lost.mp4', Readable.from(chunks(400 * 1024, 32 * 1024)), { contentType: 'video/mp4', createOnly: true, metadata: { sha256: 's' } });
    expect(s.log.filter((r) => r.op === 'CompleteMultipartUpload').map((r) => r.status)).toEqual([200, 404, 200, 404]);
    expect(await store.head('m/lost.mp4')).toMatchObject({ bytes: 400 * 1024, metadata: { sha256: 's' } });
    expect(s.keys()).toEqual(['m/lost.mp4']);
  });

  it('gives up on a request slower than the timeout', async () => {
    s = await standin();
    s.faults.add({ op: 'HeadObject', latencyMs: 400, times: Infinity });
    await expect(storeOver(s, { timeoutMs: 100, attempts: 2 }).head('slow')).rejects.toBeInstanceOf(ObjectStoreError);
  });

  it('notifies ObjectCreated in the shape FC delivers, for the object and not only its staging copy', async () => {
    s = await standin();
    const events: OssNotification[] = [];
    s.onObjectCreated((e) => events.push(e));
    await storeOver(s).put('results/manifests/t1.json', Readable.from(chunks(10, 10)), { contentType: 'application/json' });
    await new Promise((r) => setImmediate(r));
    const parsed = events.map((e) => ossEventSchema.parse(e).events[0]!);
    expect(parsed.find((e) => e.oss.object.key === 'results/manifests/t1.json')).toMatchObject({ eventName: 'ObjectCreated:CopyObject', oss: { bucket: { name: 'test-bucket' }, object: { size: 10 } } });
  });
});
