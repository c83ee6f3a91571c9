// Local object URLs answer Range requests like OSS: one range → 206 with exactly those bytes, a range past the
// end → 416 with the size, malformed or multi-range → the whole body; HEAD says the same without a body.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveObject } from '../../dev/runtime/object-route.ts';
import { LocalFsObjectStore } from '../../shared/adapters/local-fs/local-fs-object-store.ts';

const SIZE = 1000;
const content = Buffer.from(Array.from({ length: SIZE }, (_, i) => (i * 7 + 3) % 256));
const dir = mkdtempSync(join(tmpdir(), 'object-route-'));
let server: Server;
let base = '';
let url = '';
let emptyUrl = '';

beforeAll(async () => {
  const store = new LocalFsObjectStore({ dataDir: dir, publicBaseUrl: () => base });
  server = createServer((req, res) => void serveObject(store, req, res, 'req-1'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await store.put('media/clip.bin', content, { contentType: 'video/mp4' });
  await store.put('media/empty.bin', Buffer.alloc(0), { contentType: 'video/mp4' });
  url = await store.url('media/clip.bin', 60);
  emptyUrl = await store.url('media/empty.bin', 60);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function get(range?: string, method = 'GET', target = url) {
  const res = await fetch(target, { method, ...(range !== undefined ? { headers: { range } } : {}) });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('local object URLs and Range', () => {
  it('answers a plain GET 200 with the whole body and Accept-Ranges: bytes', async () => {
    const r = await get();
    expect(r.status).toBe(200);
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect(r.headers.get('content-length')).toBe(String(SIZE));
    expect(r.bytes.equals(content)).toBe(true);
  });

  it.each([
    ['bytes=10-19', 10, 19],
    ['bytes=990-', 990, 999],
    ['bytes=-5', 995, 999],
    ['bytes=995-5000', 995, 999],
    ['bytes=-5000', 0, 999],
    ['bytes=0-0', 0, 0],
  ])('answers %s with 206, its Content-Range and exactly those bytes', async (range, start, end) => {
    const r = await get(range);
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe(`bytes ${start}-${end}/${SIZE}`);
    expect(r.headers.get('content-length')).toBe(String(end - start + 1));
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect(r.headers.get('content-type')).toBe('video/mp4');
    expect(r.bytes.equals(content.subarray(start, end + 1))).toBe(true);
  });

  it.each(['bytes=1000-', 'bytes=5000-6000', 'bytes=-0'])('answers %s, outside the object, with 416 and Content-Range: bytes */size', async (range) => {
    const r = await get(range);
    expect(r.status).toBe(416);
    expect(r.headers.get('content-range')).toBe(`bytes */${SIZE}`);
    expect(JSON.parse(r.bytes.toString()).error.code).toBe('range_not_satisfiable');
  });

  it('answers any range of an empty object with 416 and its size 0', async () => {
    const r = await get('bytes=0-', 'GET', emptyUrl);
    expect(r.status).toBe(416);
    expect(r.headers.get('content-range')).toBe('bytes */0');
  });

  it.each(['bytes=abc', 'items=0-9', 'bytes=20-10', 'bytes=-', 'bytes=0-1,5-6', 'bytes=0-1, 5-6'])(
    'answers a malformed or multi-range %s with 200 and the whole body',
    async (range) => {
      const r = await get(range);
      expect(r.status).toBe(200);
      expect(r.bytes.equals(content)).toBe(true);
    },
  );

  it('answers HEAD like GET, ranges included, without a body', async () => {
    const whole = await get(undefined, 'HEAD');
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-length')).toBe(String(SIZE));
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.bytes.length).toBe(0);
    const part = await get('bytes=100-199', 'HEAD');
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${SIZE}`);
    expect(part.headers.get('content-length')).toBe('100');
    expect(part.bytes.length).toBe(0);
  });

  it('still refuses a bad signature before looking at the range', async () => {
    const r = await get('bytes=0-9', 'GET', url.replace(/Signature=[^&]+/, 'Signature=nope'));
    expect(r.status).toBe(403);
  });
});
