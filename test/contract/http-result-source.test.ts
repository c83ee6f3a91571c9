// Runs the ResultSource contract against HttpResultSource (the SSRF-safe downloader), plus what only it
// promises: the size cap holds for a body that declares no length, and a stalled body ends as a Timeout.
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllowlist } from '../../shared/adapters/result-download/host-allowlist.ts';
import { HttpResultSource } from '../../shared/adapters/result-download/http-result-source.ts';
import { DownloadError } from '../../shared/ports/result-source.ts';
import { startOriginServer, type OriginServer } from '../persist/origin-server.ts';
import { runResultSourceContract } from './result-source-contract.ts';

runResultSourceContract('HttpResultSource', {
  create: (allowedOrigins) => new HttpResultSource({ allowlist: parseAllowlist(allowedOrigins), maxBytes: 10 * 1024 * 1024, timeoutMs: 5_000 }),
});

describe('HttpResultSource: limits while the body streams', () => {
  let server: OriginServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const readFailure = async (source: HttpResultSource, url: string): Promise<unknown> => {
    const opened = await source.open(url);
    try {
      for await (const _chunk of opened.body) {
        // read until it fails
      }
      return undefined;
    } catch (err) {
      return err;
    } finally {
      opened.discard();
    }
  };

  it('fails a body that declares no length once it passes the size cap, as refused TooLarge', async () => {
    server = await startOriginServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' }); // chunked: only the streamed count can tell
      res.end(Buffer.alloc(200_000));
    });
    const source = new HttpResultSource({ allowlist: parseAllowlist([server.origin]), maxBytes: 50_000, timeoutMs: 5_000 });
    const err = await readFailure(source, `${server.origin}/big`);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err).toMatchObject({ kind: 'refused', code: 'TooLarge' });
  });

  it('ends a body that stalls past the deadline as a transient Timeout, and its signal says so', async () => {
    server = await startOriginServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': 100_000 });
      res.write(Buffer.alloc(1_000)); // then nothing more
    });
    const source = new HttpResultSource({ allowlist: parseAllowlist([server.origin]), maxBytes: 1_000_000, timeoutMs: 300 });
    const opened = await source.open(`${server.origin}/stall`);
    try {
      const err = await (async () => {
        for await (const _chunk of opened.body) {
          // read until it fails
        }
      })().then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ kind: 'transient', code: 'Timeout' });
      expect(opened.signal.reason).toMatchObject({ kind: 'transient', code: 'Timeout' });
    } finally {
      opened.discard();
    }
  });
});
