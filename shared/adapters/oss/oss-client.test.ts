// OssClients and its request client over a scripted local server: OSS's error answers decoded (XML body,
// HEAD's x-oss-err, a garbled body), what is retried and what is not, one credentials refresh, timeouts, and
// no secret (key secret, token, signature) in any failure.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OssClients, type OssCredentials } from './oss-client.ts';
import { OssFailure } from './oss-failure.ts';

const SECRET = 'unit-secret-value';
const TOKEN = 'unit-sts-token-value';
const CREDS: OssCredentials = { accessKeyId: 'STS.unit', accessKeySecret: SECRET, securityToken: TOKEN };

type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'silent';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? (server.closeAllConnections(), server.close(() => r())) : r())));

/** A server answering each request with the next scripted answer (the last one repeats); records requests. */
async function scripted(answers: Answer[]): Promise<{ endpoint: string; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  server = createServer((req, res) => {
    seen.push(req);
    const a = answers[Math.min(seen.length, answers.length) - 1]!;
    req.resume();
    if (a === 'silent') return;
    res.writeHead(a.status, { 'x-oss-request-id': 'HDR-ID', ...(a.headers ?? {}) }).end(req.method === 'HEAD' ? undefined : (a.body ?? ''));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const errorXml = (code: string, requestId = 'XML-ID') => `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>${code}</Code>\n  <Message>refused &amp; explained</Message>\n  <RequestId>${requestId}</RequestId>\n  <HostId>h</HostId>\n</Error>`;
const clients = (endpoint: string, extra: Partial<ConstructorParameters<typeof OssClients>[0]> = {}) =>
  new OssClients({ bucket: 'test-bucket', region: 'cn-hangzhou', endpoint, publicEndpoint: endpoint, credentials: async () => CREDS, backoffMs: 1, timeoutMs: 2000, ...extra });
const failureOf = (p: Promise<unknown>): Promise<OssFailure> =>
  p.then(
    () => Promise.reject(new Error('expected a failure')),
    (e: unknown) => (e instanceof OssFailure ? e : Promise.reject(e)),
  );

/** Everything a failure could show: message, JSON, string form, stack. */
const shown = (f: OssFailure): string => [f.message, JSON.stringify(f), String(f), f.stack ?? ''].join('\n');

describe('OssClients over the wire', () => {
  it('decodes an XML error (code and request id) and does not retry NoSuchKey', async () => {
    const { endpoint, seen } = await scripted([{ status: 404, body: errorXml('NoSuchKey') }]);
    const f = await failureOf(clients(endpoint).run('GetObject', 'data', (c) => c.getStream('a/b.txt')));
    expect([f.operation, f.status, f.code, f.requestId, f.transient]).toEqual(['GetObject', 404, 'NoSuchKey', 'XML-ID', false]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('/test-bucket/a/b.txt');
  });

  it('reads a HEAD error from x-oss-err, and names a bare 404 NoSuchKey', async () => {
    const { endpoint } = await scripted([{ status: 403, headers: { 'x-oss-err': Buffer.from(errorXml('AccessDenied', 'ERR-ID')).toString('base64') } }, { status: 404 }]);
    const oss = clients(endpoint);
    expect(await failureOf(oss.run('HeadObject', 'data', (c) => c.head('k')))).toMatchObject({ status: 403, code: 'AccessDenied', requestId: 'ERR-ID' });
    expect(await failureOf(oss.run('HeadObject', 'data', (c) => c.head('k')))).toMatchObject({ status: 404, code: 'NoSuchKey', requestId: 'HDR-ID' });
  });

  it('answers FileAlreadyExists (409) once, without retrying', async () => {
    const { endpoint, seen } = await scripted([{ status: 409, body: errorXml('FileAlreadyExists') }]);
    const f = await failureOf(clients(endpoint).run('PutObject', 'data', (c) => c.put('k', Buffer.from('x'), { 'x-oss-forbid-overwrite': 'true' })));
    expect([f.status, f.code]).toEqual([409, 'FileAlreadyExists']);
    expect(seen).toHaveLength(1);
  });

  it('fetches credentials again once when the STS token expired', async () => {
    const { endpoint, seen } = await scripted([{ status: 403, body: errorXml('SecurityTokenExpired') }, { status: 200, headers: { etag: '"E"' } }]);
    const asked: boolean[] = [];
    const oss = clients(endpoint, { credentials: async ({ refresh }) => (asked.push(refresh), refresh ? { ...CREDS, securityToken: 'fresh-token' } : CREDS) });
    expect((await oss.run('PutObject', 'data', (c) => c.put('k', Buffer.from('x'), {}))).headers.etag).toBe('"E"');
    expect(asked).toEqual([false, true]);
    expect(seen.map((r) => r.headers['x-oss-security-token'])).toEqual([TOKEN, 'fresh-token']);
  });

  it('fails, without a loop, when the refreshed token is refused as expired too', async () => {
    const { endpoint, seen } = await scripted([{ status: 403, body: errorXml('SecurityTokenExpired') }]);
    const asked: boolean[] = [];
    const f = await failureOf(clients(endpoint, { credentials: async ({ refresh }) => (asked.push(refresh), CREDS) }).run('PutObject', 'data', (c) => c.put('k', Buffer.from('x'), {})));
    expect(f.code).toBe('SecurityTokenExpired');
    expect(asked).toEqual([false, true]);
    expect(seen).toHaveLength(2);
  });

  it('retries 503 SlowDown and 500 with backoff, then succeeds', async () => {
    const { endpoint, seen } = await scripted([{ status: 503, body: errorXml('SlowDown') }, { status: 500, body: errorXml('InternalError') }, { status: 200 }]);
    await clients(endpoint).run('DeleteObject', 'data', (c) => c.delete('k'));
    expect(seen).toHaveLength(3);
  });

  it('gives up after the configured attempts when 5xx persists', async () => {
    const { endpoint, seen } = await scripted([{ status: 502, body: errorXml('InternalError') }]);
    const f = await failureOf(clients(endpoint, { attempts: 2 }).run('HeadObject', 'data', (c) => c.delete('k')));
    expect([f.status, f.code, f.transient]).toEqual([502, 'InternalError', true]);
    expect(seen).toHaveLength(2);
  });

  it('fails with a Timeout (status -2) when the server stays silent, after retrying', async () => {
    const { endpoint, seen } = await scripted(['silent']);
    const f = await failureOf(clients(endpoint, { timeoutMs: 150, attempts: 2 }).run('HeadObject', 'data', (c) => c.head('slow')));
    expect([f.status, f.code]).toEqual([-2, 'Timeout']);
    expect(seen).toHaveLength(2);
  });

  it('fails with NetworkError (status -1) when nothing listens', async () => {
    const f = await failureOf(clients('http://127.0.0.1:1', { attempts: 1 }).run('HeadObject', 'data', (c) => c.head('k')));
    expect([f.status, f.code]).toEqual([-1, 'NetworkError']);
  });

  it('names an error body that is not OSS XML, keeping the status and the header request id', async () => {
    const { endpoint } = await scripted([{ status: 400, headers: { 'content-type': 'text/html' }, body: '<html><body>Bad Gateway of a proxy</body></html>' }]);
    const f = await failureOf(clients(endpoint).run('PutObject', 'data', (c) => c.put('k', Buffer.from('x'), {})));
    expect([f.status, f.code, f.requestId]).toEqual([400, 'UnreadableErrorResponse', 'HDR-ID']);
    expect(f.message).toBe('OSS PutObject failed: UnreadableErrorResponse (status 400, request id HDR-ID)');
  });

  it('keeps the key secret, the STS token and the signature out of every failure', async () => {
    const { endpoint, seen } = await scripted([{ status: 403, body: errorXml('SignatureDoesNotMatch') }]);
    const failures = [
      await failureOf(clients(endpoint).run('PutObject', 'data', (c) => c.put('k', Buffer.from('x'), {}))),
      await failureOf(clients('http://127.0.0.1:1', { attempts: 1 }).run('GetObject', 'data', (c) => c.getStream('k'))),
    ];
    const signature = /Signature=([0-9a-f]{64})/.exec(String(seen[0]!.headers.authorization))![1]!;
    for (const f of failures) {
      for (const secret of [SECRET, TOKEN, signature]) expect(shown(f)).not.toContain(secret);
    }
  });

  it('addresses an IP endpoint path-style and a host name virtual-hosted, and signs URLs on the public endpoint', async () => {
    const { endpoint, seen } = await scripted([{ status: 200, headers: { 'x-oss-meta-a': '1' } }]);
    const oss = new OssClients({ bucket: 'test-bucket', region: 'oss-cn-hangzhou', endpoint, publicEndpoint: 'https://media.example.com', credentials: async () => CREDS });
    await oss.run('HeadObject', 'data', (c) => c.head('dir/../x y.txt'));
    // the key as written: '..' is part of the key, not a path step
    expect(seen[0]!.url).toBe('/test-bucket/dir/../x%20y.txt');
    const url = await oss.run('SignUrl', 'public', async (c) => c.signUrl('GET', 'a.png', 60));
    expect(url).toMatch(/^https:\/\/test-bucket\.media\.example\.com\/a\.png\?x-oss-credential=STS\.unit%2F\d{8}%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&/);
    expect(new URL(url).searchParams.get('x-oss-security-token')).toBe(TOKEN);
  });

  it('refuses a bucket name or endpoint OSS would not take', () => {
    expect(() => clients('http://127.0.0.1:1', { bucket: 'Bad_Name' })).toThrow(/bucket name/);
    expect(() => clients('ftp://example.com')).toThrow(/http\(s\)/);
    expect(() => clients('https://oss-cn-hangzhou.aliyuncs.com/some/path')).toThrow(/origin/);
  });
});
