// The ObjectStore contract: every adapter (a folder locally, OSS in the cloud) runs this suite. Media is
// created once, streamed both ways without being held in memory, never half-visible, and reachable by URL.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ObjectAlreadyExistsError, ObjectNotFoundError, type ObjectMeta, type ObjectStore } from '../../shared/ports/object-store.ts';

export interface ObjectStoreSubject {
  store: ObjectStore;
  close(): Promise<void>;
}

export interface ObjectStoreContractOptions {
  create: () => Promise<ObjectStoreSubject>;
}

let seq = 0;
const uniqueKey = (prefix: string, ext = 'bin'): string => `contract/${prefix}/${process.pid}-${Date.now().toString(36)}-${++seq}.${ext}`;

/** Deterministic chunks produced on demand: the test never holds the whole body either. */
async function* generated(totalBytes: number, chunkBytes: number, seed: number, hash?: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  for (let sent = 0, i = 0; sent < totalBytes; i++) {
    const n = Math.min(chunkBytes, totalBytes - sent);
    const chunk = Buffer.alloc(n, (seed + i) % 251);
    if (n >= 4) chunk.writeUInt32BE(i, 0);
    hash?.update(chunk);
    sent += n;
    yield chunk;
  }
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function digest(body: Readable): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of body) {
    h.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}

/** A body that sends some bytes, then fails the way a dropped download does. */
function failingBody(afterBytes: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.alloc(afterBytes, 7));
      } else this.destroy(new Error('source connection reset'));
    },
  });
}

export function runObjectStoreContract(name: string, options: ObjectStoreContractOptions): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let subject: ObjectStoreSubject;
    let store: ObjectStore;
    beforeEach(async () => {
      subject = await options.create();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.close();
    });

    it('stores a Buffer and gives back the same bytes, type and metadata from get and head', async () => {
      const key = uniqueKey('plain', 'json');
      const body = Buffer.from(JSON.stringify({ hello: 'world' }));
      const put = await store.put(key, body, { contentType: 'application/json', metadata: { sha256: 'abc', 'task-id': 't1' } });
      expect(put).toMatchObject({ key, bytes: body.length, contentType: 'application/json', metadata: { sha256: 'abc', 'task-id': 't1' } });
      const head = await store.head(key);
      expect(head).toMatchObject({ key, bytes: body.length, contentType: 'application/json', metadata: { sha256: 'abc', 'task-id': 't1' } });
      const got = await store.get(key);
      expect(got.meta).toMatchObject({ bytes: body.length, contentType: 'application/json' });
      expect(await readAll(got.body)).toEqual(body);
    });

    it('answers head of an absent key with undefined and get with ObjectNotFoundError', async () => {
      const key = uniqueKey('absent');
      expect(await store.head(key)).toBeUndefined();
      await expect(store.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it('refuses a second createOnly put with ObjectAlreadyExistsError and keeps the first bytes', async () => {
      const key = uniqueKey('once');
      await store.put(key, Buffer.from('first'), { contentType: 'text/plain', createOnly: true });
      await expect(store.put(key, Buffer.from('second!'), { contentType: 'text/plain', createOnly: true })).rejects.toBeInstanceOf(ObjectAlreadyExistsError);
      expect((await readAll((await store.get(key)).body)).toString()).toBe('first');
      expect((await store.head(key))?.bytes).toBe(5);
    });

    it('lets exactly one of several concurrent createOnly puts win, with its bytes intact', async () => {
      const key = uniqueKey('race');
      const sizes = Array.from({ length: 5 }, (_, i) => 64 * 1024 + i);
      const results = await Promise.allSettled(
        sizes.map((size, i) => store.put(key, Readable.from(generated(size, 8 * 1024, i)), { contentType: 'application/octet-stream', createOnly: true, metadata: { writer: String(i) } })),
      );
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ObjectAlreadyExistsError);
      const winner = won[0]!;
      const expected = createHash('sha256');
      for await (const c of generated(sizes[winner]!, 8 * 1024, winner)) expected.update(c);
      const got = await store.get(key);
      expect(got.meta.metadata.writer).toBe(String(winner));
      expect(await digest(got.body)).toEqual({ sha256: expected.digest('hex'), bytes: sizes[winner]! });
    });

    it('overwrites without createOnly, replacing bytes, type and metadata together', async () => {
      const key = uniqueKey('over', 'txt');
      await store.put(key, Buffer.from('v1'), { contentType: 'text/plain', metadata: { v: '1' } });
      await store.put(key, Buffer.from('version 2'), { contentType: 'text/markdown', metadata: { v: '2' } });
      const got = await store.get(key);
      expect(got.meta).toMatchObject({ bytes: 9, contentType: 'text/markdown', metadata: { v: '2' } });
      expect((await readAll(got.body)).toString()).toBe('version 2');
    });

    it('streams a 20 MiB body from a generator in and back out intact', async () => {
      const key = uniqueKey('large', 'mp4');
      const size = 20 * 1024 * 1024;
      const sent = createHash('sha256');
      const meta = await store.put(key, Readable.from(generated(size, 64 * 1024, 3, sent)), { contentType: 'video/mp4', createOnly: true });
      expect(meta.bytes).toBe(size);
      expect((await store.head(key))?.bytes).toBe(size);
      expect(await digest((await store.get(key)).body)).toEqual({ sha256: sent.digest('hex'), bytes: size });
    });

    it('leaves nothing under the key when the body fails midway', async () => {
      const key = uniqueKey('failed');
      await expect(store.put(key, failingBody(100_000), { contentType: 'image/png', createOnly: true })).rejects.toThrow();
      expect(await store.head(key)).toBeUndefined();
      await expect(store.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError);
      await store.put(key, Buffer.from('retry works'), { contentType: 'text/plain', createOnly: true });
      expect((await store.head(key))?.bytes).toBe(11);
    });

    it('keeps the previous object when an overwrite fails midway', async () => {
      const key = uniqueKey('keep');
      await store.put(key, Buffer.from('original'), { contentType: 'text/plain' });
      await expect(store.put(key, failingBody(50_000), { contentType: 'image/png' })).rejects.toThrow();
      const got = await store.get(key);
      expect(got.meta.contentType).toBe('text/plain');
      expect((await readAll(got.body)).toString()).toBe('original');
    });

    it('leaves nothing under the key when the put is aborted midway', async () => {
      const key = uniqueKey('aborted');
      const controller = new AbortController();
      async function* body(): AsyncGenerator<Buffer> {
        for (let i = 0; i < 1000; i++) {
          if (i === 20) controller.abort();
          yield Buffer.alloc(16 * 1024, i % 256);
        }
      }
      await expect(store.put(key, Readable.from(body()), { contentType: 'video/mp4', createOnly: true, signal: controller.signal })).rejects.toThrow();
      expect(await store.head(key)).toBeUndefined();
    });

    it('hands out a URL that fetches the object with its type and length', async () => {
      const key = uniqueKey('url', 'png');
      const body = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
      await store.put(key, body, { contentType: 'image/png' });
      const res = await fetch(await store.url(key, 300));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('content-length')).toBe(String(body.length));
      expect(Buffer.from(await res.arrayBuffer())).toEqual(body);
    });

    it('records metadata the writer completes as the body ends (a sha256 known only after the last byte)', async () => {
      const key = uniqueKey('late-meta');
      const metadata: Record<string, string> = { 'task-id': 't9' };
      const hash = createHash('sha256');
      async function* body(): AsyncGenerator<Buffer> {
        yield* generated(300 * 1024, 32 * 1024, 5, hash);
        metadata.sha256 = hash.copy().digest('hex');
      }
      const put = await store.put(key, Readable.from(body()), { contentType: 'application/octet-stream', metadata, createOnly: true });
      const expected = { 'task-id': 't9', sha256: hash.digest('hex') };
      expect(put.metadata).toEqual(expected);
      expect((await store.head(key))?.metadata).toEqual(expected);
    });

    it('reports empty user metadata when none was given', async () => {
      const key = uniqueKey('shape');
      const meta: ObjectMeta = await store.put(key, Buffer.alloc(3), { contentType: 'application/octet-stream' });
      expect(meta.metadata).toEqual({});
      expect((await store.head(key))?.metadata).toEqual({});
    });
  });
}
