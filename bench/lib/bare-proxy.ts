// The floor for one Node hop: a pass-through proxy (node:http in, undici out) that forwards method, path,
// headers and body both ways, streams without buffering, and cancels the upstream call when the client leaves.
import { createServer, type Server } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'upgrade', 'proxy-connection', 'te', 'trailer']);

function forwardable(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(headers).filter((e): e is [string, string | string[]] => e[1] !== undefined && !HOP_BY_HOP.has(e[0])));
}

/** A server forwarding every request to `upstreamOrigin` (e.g. 'http://127.0.0.1:9100'); call listen() on it. */
export function createBareProxy(upstreamOrigin: string): Server {
  const dispatcher = new Agent({ connections: null, keepAliveTimeout: 30_000 });
  const server = createServer((req, res) => {
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const method = req.method ?? 'GET';
    const body = method === 'GET' || method === 'HEAD' ? null : req;
    request(new URL(req.url ?? '/', upstreamOrigin), { method: method as 'POST', headers: forwardable(req.headers), body, dispatcher, signal: abort.signal })
      .then(async (up) => {
        res.writeHead(up.statusCode, forwardable(up.headers));
        res.flushHeaders();
        await pipeline(up.body, res);
      })
      .catch(() => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
  });
  server.on('close', () => void dispatcher.close());
  return server;
}
