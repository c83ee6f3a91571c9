// One suite for the limits of both our HTTP servers (the FC web-function server and the local runtime's): slow
// bodies and unfinished headers are answered 408 and closed, sockets past the cap are closed, streams run on.
// The server under test must serve the slow-http fixture (test/runtime/fixtures/functions/slow-http).
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

export interface LimitedServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Starts the server with these extra environment variables (the HTTP_* limits). */
export type StartLimitedServer = (env: Record<string, string>) => Promise<LimitedServer>;

/** Short deadlines, so a test sees them enforced in well under a second. */
const SHORT = { HTTP_REQUEST_TIMEOUT_MS: '400', HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_KEEP_ALIVE_TIMEOUT_MS: '200' };
const TRICKLE_MS = 50;

interface RawClient {
  socket: Socket;
  received: () => string;
  closed: Promise<void>;
}

async function rawClient(port: number): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => text, closed };
}

/** Writes `piece` every TRICKLE_MS (each gap far below any deadline) until the server closes the socket. */
function trickle(client: RawClient, piece: string): () => number {
  let sent = 0;
  const timer = setInterval(() => {
    if (client.socket.destroyed || client.socket.writableEnded) return clearInterval(timer);
    client.socket.write(piece);
    sent += 1;
  }, TRICKLE_MS);
  void client.closed.then(() => clearInterval(timer));
  return () => sent;
}

export function runServerLimitsContract(name: string, start: StartLimitedServer): void {
  describe(`${name}: connection limits`, () => {
    let current: LimitedServer | undefined;
    const clients: Socket[] = [];
    const open = async (port: number) => {
      const c = await rawClient(port);
      clients.push(c.socket);
      return c;
    };
    afterEach(async () => {
      for (const s of clients.splice(0)) s.destroy();
      await current?.close();
      current = undefined;
    });

    it('answers 408 and closes a client that trickles its body past the request timeout', { timeout: 10_000 }, async () => {
      current = await start(SHORT);
      const client = await open(current.port);
      client.socket.write('POST /v1/upload HTTP/1.1\r\nHost: local\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n');
      const sent = trickle(client, 'x');
      await client.closed;
      expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(sent()).toBeGreaterThan(0);
      expect(sent()).toBeLessThan(100_000);
    });

    it('answers 408 and closes a client that never finishes its headers', { timeout: 10_000 }, async () => {
      current = await start(SHORT);
      const client = await open(current.port);
      client.socket.write('POST /v1/upload HTTP/1.1\r\nHost: local\r\n');
      trickle(client, 'X-Slow: 1\r\n');
      await client.closed;
      expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('streams a response to its end although it lasts longer than the request timeout', { timeout: 10_000 }, async () => {
      current = await start(SHORT);
      // 20 chunks 50 ms apart: a second of streaming, past the 400 ms request deadline and several sweeps.
      const res = await fetch(`${current.url}/v1/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chunks: 20, everyMs: 50 }) });
      expect(res.status).toBe(200);
      const lines = (await res.text()).trim().split('\n');
      expect(lines).toHaveLength(20);
      expect(lines.at(-1)).toBe('chunk 20');
    });

    it('closes sockets past the connection cap and serves a request once the flood is gone', { timeout: 10_000 }, async () => {
      current = await start({ HTTP_MAX_CONNECTIONS: '3' });
      const { server, port, url } = current;
      const accepted: Socket[] = [];
      let dropped = 0;
      let threeAccepted!: () => void;
      const acceptedThree = new Promise<void>((r) => (threeAccepted = r));
      server.on('connection', (s: Socket) => {
        if (accepted.push(s) === 3) threeAccepted();
      });
      server.on('drop', () => (dropped += 1));
      const held = [await open(port), await open(port), await open(port)];
      await acceptedThree;
      const flood = await Promise.all([open(port), open(port), open(port), open(port)]);
      await Promise.all(flood.map((c) => c.closed));
      expect(accepted).toHaveLength(3);
      expect(dropped).toBe(4);
      expect(held.every((c) => !c.socket.destroyed)).toBe(true);

      const gone = accepted.map((s) => new Promise((r) => s.once('close', r)));
      for (const c of held) c.socket.destroy();
      await Promise.all(gone);
      const res = await fetch(`${url}/v1/upload`, { method: 'POST', body: 'hello' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ bytes: 5 });
    });
  });
}
