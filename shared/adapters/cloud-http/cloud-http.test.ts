import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudNetworkError, readAll, sendCloudRequest } from './cloud-http.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(handler: Parameters<typeof createServer>[1]): Promise<URL> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
}

describe('sendCloudRequest', () => {
  it('sends a Buffer with its length and a stream chunked, and reads the answer', async () => {
    const seen: { len?: string; te?: string; body: string }[] = [];
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ len: req.headers['content-length'], te: req.headers['transfer-encoding'], body });
        res.writeHead(201, { 'x-id': 'r1' }).end(`got ${body.length}`);
      });
    });
    const a = await sendCloudRequest({ method: 'PUT', url, headers: {}, body: Buffer.from('hello'), timeoutMs: 5000 });
    expect([a.status, a.headers['x-id'], (await readAll(a, 100)).toString()]).toEqual([201, 'r1', 'got 5']);
    const b = await sendCloudRequest({ method: 'PUT', url, headers: {}, body: Readable.from([Buffer.from('ab'), Buffer.from('cd')]), timeoutMs: 5000 });
    expect((await readAll(b, 100)).toString()).toBe('got 4');
    expect(seen).toEqual([
      { len: '5', te: undefined, body: 'hello' },
      { len: undefined, te: 'chunked', body: 'abcd' },
    ]);
  });

  it('fails with a timeout when the server stays silent, and with network when nothing listens', async () => {
    const url = await serve(() => {});
    await expect(sendCloudRequest({ method: 'GET', url, headers: {}, timeoutMs: 200 })).rejects.toMatchObject({ name: 'CloudNetworkError', reason: 'timeout' });
    const closed = new URL('http://127.0.0.1:1/');
    await expect(sendCloudRequest({ method: 'GET', url: closed, headers: {}, timeoutMs: 2000 })).rejects.toBeInstanceOf(CloudNetworkError);
  });

  it('refuses an answer larger than the limit', async () => {
    const url = await serve((_req, res) => res.end(Buffer.alloc(10_000)));
    const a = await sendCloudRequest({ method: 'GET', url, headers: {}, timeoutMs: 5000 });
    await expect(readAll(a, 1000)).rejects.toThrow(/larger than 1000 bytes/);
  });
});
