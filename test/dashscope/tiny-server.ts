// A throwaway HTTP server for client tests: scripted per request, records what arrived and whether the client
// hung up before the answer was complete. Listens on 127.0.0.1, port 0.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** The client closed the connection before the response ended. */
  aborted: boolean;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, seen: SeenRequest, n: number) => unknown;

export interface TinyServer {
  url: string;
  requests: SeenRequest[];
  /** Resolves when the n-th request (1-based) has arrived, its body read, before the handler runs. */
  arrived(n: number): Promise<SeenRequest>;
  /** Resolves when the n-th request (1-based) has finished or was aborted. */
  settled(n: number): Promise<SeenRequest>;
  close(): Promise<void>;
}

export async function startTinyServer(handler: Handler): Promise<TinyServer> {
  const requests: SeenRequest[] = [];
  const waiters = new Map<number, (s: SeenRequest) => void>();
  const arrivals = new Map<number, (s: SeenRequest) => void>();
  const done = new Set<number>();
  const sockets = new Set<Socket>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const seen: SeenRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), aborted: false };
    requests.push(seen);
    const n = requests.length;
    arrivals.get(n)?.(seen);
    const settle = () => {
      if (done.has(n)) return;
      done.add(n);
      waiters.get(n)?.(seen);
    };
    res.on('close', () => {
      if (!res.writableFinished) seen.aborted = true;
      settle();
    });
    try {
      await handler(req, res, seen, n);
    } catch {
      res.destroy();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    arrived: (n) =>
      new Promise((resolve) => {
        if (requests.length >= n) resolve(requests[n - 1]!);
        else arrivals.set(n, resolve);
      }),
    settled: (n) =>
      new Promise((resolve) => {
        if (done.has(n)) resolve(requests[n - 1]!);
        else waiters.set(n, resolve);
      }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Writes the head of an SSE answer. */
export function sseHead(res: ServerResponse, requestId: string): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': requestId });
  res.flushHeaders();
}
