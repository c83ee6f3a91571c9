// One request as handlers see it (parsed body, request id, surface, fault plan) and the ways they answer:
// JSON with DashScope's headers, or a paced stream of writes that stops as soon as the client is gone.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultPlan } from './faults.ts';
import type { RequestLogEntry } from './request-log.ts';

/** Which envelope errors get: compatible mode, native API, OSS result downloads, or the control API. */
export type Surface = 'compat' | 'native' | 'results' | 'control';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  surface: Surface;
  /** Parsed JSON body (undefined when there is none or it is not JSON). */
  body: unknown;
  rawBody: Buffer;
  entry: RequestLogEntry;
  plan: FaultPlan;
  /** Aborts when the client goes away (or a fault destroys the socket). */
  signal: AbortSignal;
  arrivedAt: number;
  /** The request asked for native SSE (`X-DashScope-SSE: enable` or `Accept: text/event-stream`). */
  nativeSse: boolean;
  /** Set when a fault, not the client, closed the connection (so the log does not call it an abort). */
  killedByFault: boolean;
}

export function dashscopeHeaders(ctx: RequestContext): Record<string, string> {
  const now = Date.now();
  return {
    'x-request-id': ctx.requestId,
    'x-dashscope-call-gateway': 'true',
    'req-arrive-time': String(ctx.arrivedAt),
    'resp-start-time': String(now),
    'req-cost-time': String(now - ctx.arrivedAt),
    server: 'istio-envoy',
  };
}

export function sendJson(ctx: RequestContext, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (ctx.res.headersSent || ctx.res.destroyed) return;
  const payload = JSON.stringify(body);
  ctx.res.writeHead(status, {
    ...dashscopeHeaders(ctx),
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
    ...headers,
  });
  ctx.res.end(payload);
}

/** Sends the head of an event stream with Nagle off, so each chunk leaves as its own write. */
export function startEventStream(ctx: RequestContext, status = 200): void {
  ctx.res.socket?.setNoDelay(true);
  ctx.res.writeHead(status, {
    ...dashscopeHeaders(ctx),
    'content-type': 'text/event-stream;charset=UTF-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
}

/** Writes one chunk, waiting for drain under backpressure. False once the client is gone. */
export async function writeChunk(ctx: RequestContext, text: string | Buffer): Promise<boolean> {
  const { res } = ctx;
  if (ctx.signal.aborted || res.destroyed || res.writableEnded) return false;
  if (res.write(text)) return true;
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/** Waits between chunks; false when the client left meanwhile. 0 ms still yields to the event loop. */
export async function pause(ctx: RequestContext, ms: number): Promise<boolean> {
  if (ctx.signal.aborted) return false;
  try {
    if (ms > 0) await sleep(ms, undefined, { signal: ctx.signal });
    else await new Promise<void>((r) => setImmediate(r));
  } catch {
    return false;
  }
  return !ctx.signal.aborted;
}

export function endStream(ctx: RequestContext): void {
  if (!ctx.res.destroyed && !ctx.res.writableEnded) ctx.res.end();
}
