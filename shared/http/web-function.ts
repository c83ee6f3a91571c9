// The FC web-function server (custom runtime): one node:http server serving the module's routes, /healthz
// and FC's control paths (/invoke, /initialize, /pre-stop). `functions/<name>/server.ts` starts it.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Deps } from '../deps/deps.ts';
import type { FcContext, FunctionModule } from '../runtime/fc.ts';
import type { CloudCredentials } from '../runtime/fc-credentials.ts';
import { clip } from '../text/clip.ts';
import { readBody } from './body.ts';
import { HttpError } from './errors.ts';
import { requestIdOf, sendError, sendJson } from './respond.ts';
import { createLimitedServer, serverLimits } from './server-limits.ts';

/** FC's limit for a synchronous invocation payload. */
const MAX_EVENT_BYTES = 32 * 1024 * 1024;

export interface WebFunctionOptions {
  /** Default 0.0.0.0 (FC requires it); tests use 127.0.0.1. */
  host?: string;
  /** Drain and exit on SIGTERM/SIGINT (default true). */
  handleSignals?: boolean;
  /** How long close() waits for requests in flight (default 10 s). */
  drainMs?: number;
  /** Where FC's per-invocation start/end marker lines go (default stdout). */
  markers?: (line: string) => void;
}

export interface WebFunctionServer {
  server: Server;
  port: number;
  url: string;
  /** Stops accepting, waits for requests in flight (up to drainMs), then closes the deps. */
  close(): Promise<void>;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
const num = (v: string | undefined): number | undefined => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);

/**
 * The role credentials FC sends a custom runtime with every request. Debian 11 and later runtimes no longer send
 * the security token: an STS key without it cannot sign anything, so it is ignored and the ALIBABA_CLOUD_*
 * environment (which FC sets in every instance) signs instead.
 */
export function credentialsFromHeaders(req: IncomingMessage): CloudCredentials | undefined {
  const accessKeyId = header(req, 'x-fc-access-key-id');
  const accessKeySecret = header(req, 'x-fc-access-key-secret');
  const securityToken = header(req, 'x-fc-security-token');
  if (!accessKeyId || !accessKeySecret) return undefined;
  if (accessKeyId.startsWith('STS.') && !securityToken) return undefined;
  return { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) };
}

/** Builds the FC context from the common request headers FC sends to a custom runtime. */
export function contextFromHeaders(req: IncomingMessage, requestId: string, deps: Deps): FcContext {
  const timeout = num(header(req, 'x-fc-function-timeout'));
  const credentials = credentialsFromHeaders(req);
  const region = header(req, 'x-fc-region') ?? deps.config.FC_REGION;
  const accountId = header(req, 'x-fc-account-id');
  const retryCount = num(header(req, 'x-fc-retry-count'));
  return {
    requestId,
    function: {
      name: header(req, 'x-fc-function-name') ?? deps.config.FC_FUNCTION_NAME ?? 'unknown',
      ...(header(req, 'x-fc-function-handler') ? { handler: header(req, 'x-fc-function-handler') } : {}),
      ...(num(header(req, 'x-fc-function-memory')) !== undefined ? { memory: num(header(req, 'x-fc-function-memory')) } : {}),
      ...(timeout !== undefined ? { timeout } : {}),
    },
    ...(region ? { region } : {}),
    ...(accountId ? { accountId } : {}),
    ...(credentials ? { credentials } : {}),
    ...(retryCount !== undefined ? { retryCount } : {}),
    ...(timeout !== undefined ? { deadlineMs: timeout * 1000 } : {}),
  };
}

function sendResult(res: ServerResponse, result: unknown): void {
  const headers = { 'x-fc-status': '200' };
  if (result === undefined || result === null) {
    res.writeHead(200, { ...headers, 'content-length': '0' });
    res.end();
  } else if (Buffer.isBuffer(result) || typeof result === 'string') {
    const body = Buffer.isBuffer(result) ? result : Buffer.from(result);
    res.writeHead(200, { ...headers, 'content-type': Buffer.isBuffer(result) ? 'application/octet-stream' : 'text/plain; charset=utf-8', 'content-length': String(body.length) });
    res.end(body);
  } else sendJson(res, 200, result, headers);
}

export async function serveWebFunction(mod: FunctionModule, deps: Deps, port: number, options: WebFunctionOptions = {}): Promise<WebFunctionServer> {
  const log = deps.logger.child({ fn: deps.config.FC_FUNCTION_NAME });
  const markers = options.markers ?? ((line: string) => void process.stdout.write(line + '\n'));
  const http = mod.createHttpHandler?.(deps);
  const onEvent = mod.createEventHandler?.(deps);
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const invokeEvent = async (req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> => {
    if (!onEvent) throw new HttpError(404, 'no_event_handler', 'this function has no event handler');
    const event = await readBody(req, MAX_EVENT_BYTES);
    try {
      sendResult(res, await onEvent(event, contextFromHeaders(req, requestId, deps)));
    } catch (e) {
      log.error('event invocation failed', { requestId, error: e });
      // FC reads a failed event invocation from status 404 + x-fc-status: 404 (custom runtime contract).
      sendJson(res, 404, { errorType: (e as Error)?.name ?? 'Error', errorMessage: String((e as Error)?.message ?? e).slice(0, 1000) }, { 'x-fc-status': '404' });
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = requestIdOf(req);
    // The function's own requestIdOf() must see the same id that the markers and logs carry.
    req.headers['x-fc-request-id'] = requestId;
    const control = header(req, 'x-fc-control-path');
    // every request brings the role's current credentials: the cloud adapters sign their next calls with them
    deps.credentials?.update(credentialsFromHeaders(req));
    const path = new URL(req.url ?? '/', 'http://fc').pathname;
    markers(`FC Invoke Start RequestId: ${requestId}`);
    try {
      if (control === '/invoke' && req.method === 'POST') return await invokeEvent(req, res, requestId);
      if (control === '/initialize' || (req.method === 'POST' && path === '/initialize' && !control)) return sendJson(res, 200, { ok: true }, { 'x-fc-status': '200' });
      if (control === '/pre-stop' || (req.method === 'GET' && path === '/pre-stop')) {
        log.info('pre-stop received', { requestId });
        return sendJson(res, 200, { ok: true }, { 'x-fc-status': '200' });
      }
      if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return sendJson(res, 200, { ok: true, function: deps.config.FC_FUNCTION_NAME ?? null });
      if (!http) throw new HttpError(404, 'not_found', `no route for ${clip(req.method ?? '', 16)} ${clip(path, 100)}`);
      // the function's own wrapper routes (and logs) the request
      await http(req, res);
    } catch (e) {
      if (sendError(res, e, requestId) >= 500) log.error('request failed', { requestId, error: e });
    } finally {
      markers(`FC Invoke End RequestId: ${requestId}`);
    }
  };

  const server = createLimitedServer(serverLimits(deps.config), (req, res) => {
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) drained?.();
    });
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host ?? '0.0.0.0', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([new Promise<void>((r) => (drained = r)), new Promise((r) => setTimeout(r, options.drainMs ?? 10_000).unref())]);
      }
      server.closeAllConnections();
      await stopped;
      await deps.close();
    })());

  if (options.handleSignals ?? true) {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info('shutting down', { signal });
      close().then(
        () => process.exit(0),
        (e: unknown) => {
          log.error('shutdown failed', { error: e });
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  return { server, port: bound, url: `http://${options.host === '0.0.0.0' || !options.host ? '127.0.0.1' : options.host}:${bound}`, close };
}
