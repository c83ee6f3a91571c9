// The OSS stand-in checked with the SDK itself (ali-oss, V4) and raw HTTP: the wire behaviours the adapter
// tests lean on, including those the adapter never triggers on purpose (chunked puts, COPY directive, XML errors).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import OSS from 'ali-oss';
import { afterEach, describe, expect, it } from 'vitest';
import { ossEventSchema } from '../../../shared/runtime/fc.ts';
import type { OssNotification } from './notification.ts';
import { OssStandin } from './oss-standin.ts';

const creds = { accessKeyId: 'LTAI-unit', accessKeySecret: 'unit-secret' };

describe('OssStandin', () => {
  let s: OssStandin;
  afterEach(async () => s?.close());
  const start = async (eventDeliveries = 1) => {
    s = await OssStandin.start({ credentials: { [creds.accessKeyId]: { accessKeySecret: creds.accessKeySecret } }, eventDeliveries });
    return new OSS({ ...creds, bucket: 'test-bucket', region: 'oss-cn-hangzhou', endpoint: s.endpoint, authorizationV4: true });
  };

  it('takes a chunked putStream and reports size, ETag and CRC-64 on HEAD', async () => {
    const client = await start();
    const r = await client.put('c/chunked.txt', Buffer.from('warm-up'));
    expect(r.res.status).toBe(200);
    const body = Buffer.from('x'.repeat(100_000));
    const streamed = await client.putStream('c/chunked.txt', Readable.from([body.subarray(0, 50_000), body.subarray(50_000)]), { mime: 'text/plain' });
    expect(streamed.res.status).toBe(200);
    const head = await client.head('c/chunked.txt');
    expect(head.res.headers).toMatchObject({ 'content-length': '100000', etag: `"${createHash('md5').update(body).digest('hex').toUpperCase()}"`, 'x-oss-object-type': 'Normal' });
    expect(head.res.headers['x-oss-hash-crc64ecma']).toMatch(/^\d+$/);
  });

  it('answers OSS XML errors: NoSuchKey on GET, InvalidDigest for a wrong Content-MD5, AccessDenied unsigned', async () => {
    const client = await start();
    await expect(client.getStream('none')).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
    await expect(client.head('none')).rejects.toMatchObject({ status: 404 });
    await expect(client.put('d.txt', Buffer.from('abc'), { headers: { 'Content-MD5': createHash('md5').update('abd').digest('base64') } })).rejects.toMatchObject({ status: 400, code: 'InvalidDigest' });
    const anonymous = await fetch(`${s.endpoint}/test-bucket/d.txt`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toMatch(/<Code>AccessDenied<\/Code>[\s\S]*<RequestId>/);
    expect(s.keys()).toEqual([]);
  });

  it('honours x-oss-forbid-overwrite and the metadata directive of CopyObject', async () => {
    const client = await start();
    await client.put('a.txt', Buffer.from('a'), { headers: { 'Content-Type': 'text/plain', 'x-oss-meta-one': '1' } });
    await expect(client.put('a.txt', Buffer.from('b'), { headers: { 'x-oss-forbid-overwrite': 'true' } })).rejects.toMatchObject({ status: 409, code: 'FileAlreadyExists' });
    const copy = (target: string, headers: Record<string, string>) => {
      const params = client._objectRequestParams('PUT', target, { headers: { 'x-oss-copy-source': '/test-bucket/a.txt', ...headers } });
      return client.request({ ...params, successStatuses: [200] });
    };
    await copy('kept.txt', {});
    await copy('replaced.txt', { 'x-oss-metadata-directive': 'REPLACE', 'Content-Type': 'text/markdown', 'x-oss-meta-two': '2' });
    expect((await client.head('kept.txt')).meta).toEqual({ one: '1' });
    expect((await client.head('replaced.txt')).meta).toEqual({ two: '2' });
    expect((await client.head('replaced.txt')).res.headers['content-type']).toBe('text/markdown');
    await expect(copy('a.txt', { 'x-oss-forbid-overwrite': 'true' })).rejects.toMatchObject({ status: 409, code: 'FileAlreadyExists' });
  });

  it('delivers each ObjectCreated event as often as configured, in the shape FC hands a function', async () => {
    const client = await start(2);
    const events: OssNotification[] = [];
    s.onObjectCreated((e) => events.push(e));
    await client.put('inbox/job.json', Buffer.from('{}'));
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toHaveLength(2);
    expect(ossEventSchema.parse(events[0]).events[0]).toMatchObject({ eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'test-bucket' }, object: { key: 'inbox/job.json', size: 2 } } });
  });

  it('commits a write and then drops the connection when asked to', async () => {
    const client = await start();
    s.faults.add({ op: 'PutObject', dropAfterCommit: true });
    await expect(client.put('lost-answer.txt', Buffer.from('kept'))).rejects.toMatchObject({ status: -1 });
    expect(s.keys()).toEqual(['lost-answer.txt']);
  });

  it('answers injected errors with their code until the rule is spent', async () => {
    const client = await start();
    s.faults.add({ op: 'HeadObject', status: 503, code: 'SlowDown', times: 2 });
    await client.put('x', Buffer.from('1'));
    await expect(client.head('x')).rejects.toMatchObject({ status: 503, code: 'SlowDown' });
    await expect(client.head('x')).rejects.toMatchObject({ status: 503 });
    expect((await client.head('x')).status).toBe(200);
  });
});
