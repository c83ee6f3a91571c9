// The ResultSource contract: every adapter runs this suite against loopback origin servers. A source streams
// exactly what the origin serves, refuses what it may not reach, and fails only with the port's DownloadError.
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadError, type ResultSource } from '../../shared/ports/result-source.ts';
import { startOriginServer, type OriginServer } from '../persist/origin-server.ts';

export interface ResultSourceContractOptions {
  /** A source that may read from exactly these origins (the suite's loopback servers) and from nothing else. */
  create: (allowedOrigins: string[]) => ResultSource | Promise<ResultSource>;
}

const RESULT = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(300_000)]);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function readAll(body: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

async function readRest(chunks: AsyncIterator<unknown>): Promise<void> {
  while (!(await chunks.next()).done) {
    // only the way the body ends matters
  }
}

const failure = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);

export function runResultSourceContract(name: string, options: ResultSourceContractOptions): void {
  describe(`ResultSource contract: ${name}`, () => {
    let origin: OriginServer;
    let outsider: OriginServer;
    let source: ResultSource;

    beforeEach(async () => {
      origin = await startOriginServer((req, res) => {
        const path = (req.url ?? '').split('?')[0];
        if (path === '/result.png') return void res.writeHead(200, { 'content-type': 'image/png', 'content-length': RESULT.length }).end(RESULT);
        if (path === '/denied') return void res.writeHead(403, { date: 'Tue, 01 Jan 2030 00:00:00 GMT' }).end('AccessDenied');
        if (path !== '/reset' && path !== '/stall') return void res.writeHead(404).end();
        // The first bytes reach the client; then the connection is cut (/reset) or goes quiet (/stall).
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': RESULT.length });
        const first = RESULT.subarray(0, 64 * 1024);
        if (path === '/reset') res.write(first, () => res.socket?.destroy());
        else res.write(first);
      });
      outsider = await startOriginServer((_req, res) => void res.writeHead(200, { 'content-type': 'image/png' }).end(RESULT));
      source = await options.create([origin.origin]);
    });

    afterEach(async () => {
      await Promise.all([origin.close(), outsider.close()]);
    });

    it('streams the exact bytes the origin serves, with its declared type and length', async () => {
      const opened = await source.open(`${origin.origin}/result.png?Expires=9999999999`);
      try {
        expect(sha(await readAll(opened.body))).toBe(sha(RESULT));
        expect(opened.contentType).toBe('image/png');
        expect(opened.contentLength).toBe(RESULT.length);
      } finally {
        opened.discard();
      }
      expect(origin.requests).toEqual(['/result.png?Expires=9999999999']);
    });

    it('refuses a host it may not read from, without contacting it', async () => {
      const err = await failure(source.open(`${outsider.origin}/result.png`));
      expect(err).toBeInstanceOf(DownloadError);
      expect(err).toMatchObject({ kind: 'refused' });
      expect(outsider.connections).toBe(0);
    });

    it.each([
      ['/missing', 404],
      ['/denied', 403],
    ])('surfaces the answer of %s as a status (%i) for the caller to judge', async (path, status) => {
      const err = await failure(source.open(`${origin.origin}${path}`));
      expect(err).toBeInstanceOf(DownloadError);
      expect(err).toMatchObject({ kind: 'status', status });
    });

    it("carries the source's Date with a status answer, so an expiry can be judged by the source's clock", async () => {
      const err = await failure(source.open(`${origin.origin}/denied`));
      expect((err as DownloadError).sourceDate?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    });

    it('fails the body as transient when the connection is cut mid-body', async () => {
      const opened = await source.open(`${origin.origin}/reset`);
      try {
        const err = await failure(readAll(opened.body));
        expect(err).toBeInstanceOf(DownloadError);
        expect(err).toMatchObject({ kind: 'transient' });
      } finally {
        opened.discard();
      }
    });

    it("stops the read when the caller's signal aborts, failing the body as transient and saying so on its signal", async () => {
      const caller = new AbortController();
      const opened = await source.open(`${origin.origin}/stall`, { signal: caller.signal });
      try {
        const chunks = opened.body[Symbol.asyncIterator]();
        expect((await chunks.next()).done).toBe(false);
        caller.abort();
        const err = await failure(readRest(chunks));
        expect(err).toBeInstanceOf(DownloadError);
        expect(err).toMatchObject({ kind: 'transient' });
        expect(opened.signal.aborted).toBe(true);
        expect(opened.signal.reason).toBeInstanceOf(DownloadError);
      } finally {
        opened.discard();
      }
    });

    it('fails to open, as transient, once the signal has aborted', async () => {
      const err = await failure(source.open(`${origin.origin}/result.png`, { signal: AbortSignal.abort() }));
      expect(err).toBeInstanceOf(DownloadError);
      expect(err).toMatchObject({ kind: 'transient' });
    });
  });
}
