// A small HTTP server for download tests: listens on 127.0.0.1 (or ::1), runs the given handler, and
// counts the TCP connections and requests it saw, so a test can prove a forbidden target was never contacted.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface OriginServer {
  origin: string;
  port: number;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

export async function startOriginServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host = '127.0.0.1',
): Promise<OriginServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    state.requests.push(req.url ?? '');
    handler(req, res);
  });
  server.on('connection', (s: Socket) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const state: OriginServer = {
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    connections: 0,
    requests: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return state;
}
