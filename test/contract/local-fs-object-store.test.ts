// Runs the ObjectStore contract against the local folder store (its URLs served as the runtime serves
// them), plus what only the local store promises: the on-disk layout, key rules, true streaming, signed
// URL checks and creation notices for the runtime's OSS triggers.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { serveObject } from '../../dev/runtime/object-route.ts';
import { InvalidObjectKeyError } from '../../shared/adapters/local-fs/object-key.ts';
import { LocalFsObjectStore, type ObjectCreatedEvent } from '../../shared/adapters/local-fs/local-fs-object-store.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { ObjectAlreadyExistsError } from '../../shared/ports/object-store.ts';
import { runObjectStoreContract } from './object-store-contract.ts';

interface Served {
  dir: string;
  store: LocalFsObjectStore;
  server: Server;
  close(): Promise<void>;
}

async function serve(clock?: Clock, dir = mkdtempSync(join(tmpdir(), 'oss-'))): Promise<Served> {
  let base = '';
  const store = new LocalFsObjectStore({ dataDir: dir, publicBaseUrl: () => base, ...(clock ? { clock } : {}) });
  const server = createServer((req, res) => void serveObject(store, req, res, 'req-test'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    dir,
    store,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

runObjectStoreContract('LocalFsObjectStore', {
  create: async () => {
    const s = await serve();
    return { store: s.store, close: s.close };
  },
});

describe('LocalFsObjectStore', () => {
  const open: Served[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  const make = async (clock?: Clock) => {
    const s = await serve(clock);
    open.push(s);
    return s;
  };

  it('keeps each object as a plain file under <dataDir>/oss/<key>', async () => {
    const { dir, store } = await make();
    await store.put('media/2030/01/01/t1/0.png', Buffer.from('png-bytes'), { contentType: 'image/png' });
    expect(readFileSync(join(dir, 'oss', 'media/2030/01/01/t1/0.png'), 'utf8')).toBe('png-bytes');
  });

  it.each(['/abs', '../escape', 'a/../b', 'a//b', 'a/./b', 'sp ace', 'trailing/', '', 'ünï'])('rejects the key %j', async (key) => {
    const { store } = await make();
    await expect(store.put(key, Buffer.from('x'), { contentType: 'text/plain' })).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.head(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.url(key, 60)).rejects.toBeInstanceOf(InvalidObjectKeyError);
  });

  it('writes the body to disk while it is still being produced (no buffering in memory)', async () => {
    const { dir, store } = await make();
    const chunk = 64 * 1024;
    let onDiskAtChunk200 = -1;
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 320; i++) {
        if (i === 200) onDiskAtChunk200 = readdirSync(join(dir, 'oss-tmp')).reduce((n, f) => n + statSync(join(dir, 'oss-tmp', f)).size, 0);
        yield Buffer.alloc(chunk, i % 256);
      }
    }
    await store.put('big/stream.bin', Readable.from(body()), { contentType: 'application/octet-stream' });
    expect(onDiskAtChunk200).toBeGreaterThanOrEqual(150 * chunk);
    expect(readdirSync(join(dir, 'oss-tmp'))).toEqual([]);
  });

  it('leaves no partial file behind when the body fails, even before the file was open', async () => {
    const s = await make();
    // many at once, each failing on its first read while its file is usually still opening
    const puts = Array.from({ length: 200 }, (_, i) => {
      const failing = new Readable({
        read() {
          this.destroy(new Error('reset'));
        },
      });
      return s.store.put(`media/fail-${i}.bin`, failing, { contentType: 'application/octet-stream' }).then(
        () => 'stored',
        () => 'failed',
      );
    });
    expect(new Set(await Promise.all(puts))).toEqual(new Set(['failed']));
    expect(readdirSync(join(s.dir, 'oss-tmp'))).toEqual([]);
  });

  it('answers 403 for an expired URL, 403 for a tampered one and 404 for a signed but absent key', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const { store } = await make({ now: () => new Date(now) });
    await store.put('a/b.txt', Buffer.from('hi'), { contentType: 'text/plain' });
    const url = await store.url('a/b.txt', 60);
    expect((await fetch(url)).status).toBe(200);
    expect((await fetch(url.replace('a/b.txt', 'a/c.txt'))).status).toBe(403);
    // a different first character (replacing it with a fixed one left the URL as it was whenever it already was that one)
    const tampered = url.replace(/Signature=(.)/, (_, c: string) => `Signature=${c === 'x' ? 'y' : 'x'}`);
    expect(tampered).not.toBe(url);
    expect((await fetch(tampered)).status).toBe(403);
    expect((await fetch(url.split('?')[0]!)).status).toBe(403);
    const absent = await fetch(await store.url('a/none.txt', 60));
    expect(absent.status).toBe(404);
    expect(((await absent.json()) as { error: { code: string } }).error.code).toBe('no_such_key');
    now += 61_000;
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('url_expired');
  });

  it('keeps URLs valid across restarts on the same data dir (the signing secret lives there)', async () => {
    const first = await make();
    await first.store.put('k.txt', Buffer.from('x'), { contentType: 'text/plain' });
    const url = await first.store.url('k.txt', 60);
    const again = new LocalFsObjectStore({ dataDir: first.dir, publicBaseUrl: () => '' });
    const q = new URL(url).searchParams;
    expect(again.verifyUrl('k.txt', q.get('Expires'), q.get('Signature'))).toBe('ok');
    const elsewhere = await make();
    expect(elsewhere.store.verifyUrl('k.txt', q.get('Expires'), q.get('Signature'))).toBe('invalid');
  });

  it('announces each created object once, after it is visible, and not for a refused createOnly put', async () => {
    const { store } = await make();
    const seen: { event: ObjectCreatedEvent; visible: boolean }[] = [];
    const checks: Promise<void>[] = [];
    store.onObjectCreated((event) => {
      checks.push(store.head(event.meta.key).then((m) => void seen.push({ event, visible: m?.bytes === event.meta.bytes })));
    });
    await store.put('inbox/job.json', Buffer.from('{}'), { contentType: 'application/json', createOnly: true });
    await expect(store.put('inbox/job.json', Buffer.from('{}'), { contentType: 'application/json', createOnly: true })).rejects.toBeInstanceOf(ObjectAlreadyExistsError);
    await Promise.all(checks);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ visible: true, event: { eventName: 'ObjectCreated:PutObject', meta: { key: 'inbox/job.json', bytes: 2 } } });
  });

  it('serves a file dropped into the folder by hand as opaque bytes', async () => {
    const { dir, store } = await make();
    await store.put('x/keep.txt', Buffer.from('a'), { contentType: 'text/plain' });
    rmSync(join(dir, 'oss-meta'), { recursive: true });
    expect(await store.head('x/keep.txt')).toMatchObject({ bytes: 1, contentType: 'application/octet-stream', metadata: {} });
    expect(existsSync(join(dir, 'oss', 'x/keep.txt'))).toBe(true);
  });
});
