// A wire-level stand-in for the Function Compute 3.0 API (node:http): checks the SDK's ACS3 signature, and
// answers InvokeFunction (through a provided `invoke`), ListTriggers and GetTrigger in FC's shapes. Test equipment.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { acs3Signature, canonicalRequest, parseAcs3Authorization, sha256Hex, signaturesEqual } from './acs3-signature.ts';

export interface FcStandinCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** Set for STS credentials: the request must carry it in x-acs-security-token. */
  securityToken?: string;
}

/** The access key a stand-in accepts unless told otherwise (obviously fake). */
export const FC_STANDIN_ACCESS_KEY: FcStandinCredentials = { accessKeyId: 'LTAIfcstandin00000001', accessKeySecret: 'fc-standin-secret-0001' };

export interface FcStandinTrigger {
  triggerName: string;
  triggerType: string;
  /** The trigger's config as FC returns it: a JSON string. */
  triggerConfig?: string;
  /** Only http triggers have it. */
  httpTrigger?: { urlInternet?: string; urlIntranet?: string };
}

export interface InvokeResult {
  status: number;
  body: Buffer | string;
  /** Set when the function failed: sent as x-fc-error-type (e.g. UnhandledInvocationError). */
  errorType?: string;
}

/** Runs one invocation of `functionName` with the request body and headers. */
export type InvokeFunction = (functionName: string, body: Buffer, headers: IncomingHttpHeaders) => Promise<InvokeResult>;

export interface FcStandinOptions {
  /** The functions that exist, each with its triggers; any other name is FunctionNotFound. */
  functions: Record<string, FcStandinTrigger[]>;
  invoke: InvokeFunction;
  credentials?: FcStandinCredentials[];
  now?: () => number;
  maxClockSkewMs?: number;
  port?: number;
  host?: string;
}

export interface FcStandinRequest {
  action: string;
  functionName?: string;
  status: number;
  code?: string;
  invocationType?: 'Sync' | 'Async';
}

export interface FcStandin {
  /** `http://127.0.0.1:<port>`: what FC_ENDPOINT takes. */
  readonly origin: string;
  /** `127.0.0.1:<port>`: the SDK's bare endpoint (protocol http). */
  readonly endpoint: string;
  readonly port: number;
  /** Every request answered, oldest first. */
  requests(): FcStandinRequest[];
  /** Resolves once every asynchronous invocation accepted so far has run. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

const API = '/2023-03-30/functions/';
/** FC's limits on a request body: synchronous 32 MB, asynchronous 128 KB. */
const MAX_SYNC_BYTES = 32 * 1024 * 1024;
const MAX_ASYNC_BYTES = 128 * 1024;

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage, cap: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > cap) throw new Refusal(400, 'EntityTooLarge', `payload size exceeds maximum allowed size (${cap} bytes)`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Undefined when the request is signed by known credentials over exactly this body; else the refusal. */
function checkSignature(req: IncomingMessage, rawPath: string, rawQuery: string, body: Buffer, known: ReadonlyMap<string, FcStandinCredentials>, now: number, skewMs: number): Refusal | undefined {
  const h = req.headers;
  const auth = parseAcs3Authorization(h.authorization);
  if (!auth) return new Refusal(403, 'AccessDenied', 'the Authorization header is missing or is not ACS3-HMAC-SHA256');
  const creds = known.get(auth.accessKeyId);
  if (!creds) return new Refusal(403, 'InvalidAccessKeyID', `invalid access key ID '${auth.accessKeyId.slice(0, 64)}'`);
  const token = h['x-acs-security-token'];
  if (creds.securityToken !== undefined || token !== undefined) {
    if (token !== creds.securityToken || h['x-acs-accesskey-id'] !== auth.accessKeyId) return new Refusal(403, 'InvalidSecurityToken', 'the security token is missing or invalid');
  }
  // every header the signature depends on must be signed: an x-acs-* header or the content type outside it could be forged
  const mustSign = Object.keys(h).filter((k) => k.startsWith('x-acs-') || k === 'content-type').concat('host');
  const unsigned = mustSign.filter((k) => !auth.signedHeaders.includes(k));
  if (unsigned.length) return new Refusal(403, 'SignatureNotMatch', `headers not covered by the signature: ${unsigned.join(', ')}`);
  if (!['x-acs-date', 'x-acs-content-sha256'].every((k) => typeof h[k] === 'string')) {
    return new Refusal(400, 'MissingRequiredHeader', 'required HTTP header x-acs-date or x-acs-content-sha256 was not specified');
  }
  if (h['x-acs-content-sha256'] !== sha256Hex(body)) return new Refusal(403, 'SignatureNotMatch', 'x-acs-content-sha256 does not match the body');
  const expected = acs3Signature(canonicalRequest(req.method ?? '', rawPath, rawQuery, h, auth.signedHeaders, sha256Hex(body)), creds.accessKeySecret);
  if (!signaturesEqual(expected, auth.signature)) {
    return new Refusal(403, 'SignatureNotMatch', 'The request signature we calculated does not match the signature you provided. Check your access key and signing method');
  }
  const date = Date.parse(String(h['x-acs-date']));
  // the service's window and code for a stale date are not documented: 15 minutes is the stand-in's choice
  if (!Number.isFinite(date) || Math.abs(now - date) > skewMs) return new Refusal(403, 'RequestTimeTooSkewed', 'x-acs-date is too far from the server time');
  return undefined;
}

const httpDate = () => new Date().toISOString();

export async function startFcStandin(o: FcStandinOptions): Promise<FcStandin> {
  const known = new Map((o.credentials ?? [FC_STANDIN_ACCESS_KEY]).map((c) => [c.accessKeyId, c]));
  const now = o.now ?? Date.now;
  const log: FcStandinRequest[] = [];
  const background = new Set<Promise<unknown>>();

  const send = (res: ServerResponse, status: number, requestId: string, body: Buffer | string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'x-fc-request-id': requestId, date: httpDate(), ...headers }).end(body);
  };
  // FC 3.0's error shape: {Code, Message, RequestId}
  const refuse = (res: ServerResponse, requestId: string, r: Refusal, entry: FcStandinRequest) => {
    log.push({ ...entry, status: r.status, code: r.code });
    send(res, r.status, requestId, JSON.stringify({ Code: r.code, Message: r.message, RequestId: requestId }), { 'content-type': 'application/json' });
  };
  const triggerJson = (t: FcStandinTrigger) => ({
    triggerId: `${t.triggerName}-id`,
    triggerName: t.triggerName,
    triggerType: t.triggerType,
    triggerConfig: t.triggerConfig ?? '{}',
    qualifier: 'LATEST',
    status: 'Ready',
    createdTime: '2026-01-01T00:00:00Z',
    lastModifiedTime: '2026-01-01T00:00:00Z',
    ...(t.httpTrigger ? { httpTrigger: t.httpTrigger } : {}),
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = `1-${randomUUID()}`;
    const [rawPath = '', rawQuery = ''] = (req.url ?? '/').split('?', 2) as [string, string?];
    const parts = rawPath.startsWith(API) ? rawPath.slice(API.length).split('/') : [];
    const functionName = parts[0] ? decodeURIComponent(parts[0]) : undefined;
    const route =
      req.method === 'POST' && parts.length === 2 && parts[1] === 'invocations' ? 'InvokeFunction'
      : req.method === 'GET' && parts.length === 2 && parts[1] === 'triggers' ? 'ListTriggers'
      : req.method === 'GET' && parts.length === 3 && parts[1] === 'triggers' ? 'GetTrigger'
      : undefined;
    const entry: FcStandinRequest = { action: route ?? 'Unknown', ...(functionName ? { functionName } : {}), status: 0 };
    const asyncCall = route === 'InvokeFunction' && String(req.headers['x-fc-invocation-type'] ?? 'Sync').toLowerCase() === 'async';
    let body: Buffer;
    try {
      body = await readBody(req, asyncCall ? MAX_ASYNC_BYTES : MAX_SYNC_BYTES);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      res.setHeader('connection', 'close');
      return refuse(res, requestId, e, entry);
    }
    const refusal = checkSignature(req, rawPath, rawQuery, body, known, now(), o.maxClockSkewMs ?? 15 * 60_000);
    if (refusal) return refuse(res, requestId, refusal, entry);
    if (!route || !functionName) return refuse(res, requestId, new Refusal(400, 'PathNotSupported', `'${req.method} ${rawPath.slice(0, 200)}' is not supported`), entry);
    const triggers = o.functions[functionName];
    if (!triggers) return refuse(res, requestId, new Refusal(404, 'FunctionNotFound', `function '${functionName.slice(0, 128)}' does not exist`), entry);

    if (route === 'ListTriggers') {
      const q = new URLSearchParams(rawQuery);
      const start = Number(q.get('nextToken') || 0);
      const limit = Math.min(Math.max(Number(q.get('limit') || 20), 1), 100);
      const page = triggers.slice(start, start + limit);
      const next = start + limit < triggers.length ? String(start + limit) : undefined;
      log.push({ ...entry, status: 200 });
      return send(res, 200, requestId, JSON.stringify({ triggers: page.map(triggerJson), ...(next ? { nextToken: next } : {}) }), { 'content-type': 'application/json' });
    }
    if (route === 'GetTrigger') {
      const name = decodeURIComponent(parts[2]!);
      const t = triggers.find((x) => x.triggerName === name);
      if (!t) return refuse(res, requestId, new Refusal(404, 'TriggerNotFound', `trigger '${name.slice(0, 128)}' does not exist in function '${functionName}'`), entry);
      log.push({ ...entry, status: 200 });
      return send(res, 200, requestId, JSON.stringify(triggerJson(t)), { 'content-type': 'application/json' });
    }
    if (asyncCall) {
      // accepted now, run later, as FC queues an asynchronous invocation; its outcome is nobody's answer
      const run = o.invoke(functionName, body, req.headers).catch(() => undefined);
      background.add(run);
      void run.finally(() => background.delete(run));
      log.push({ ...entry, status: 202, invocationType: 'Async' });
      return send(res, 202, requestId, '');
    }
    let result: InvokeResult;
    try {
      result = await o.invoke(functionName, body, req.headers);
    } catch (e) {
      // what FC answers when a function throws: 200, the error in the body, x-fc-error-type set
      const err = e instanceof Error ? e : new Error(String(e));
      result = { status: 200, body: JSON.stringify({ errorMessage: err.message, errorType: err.name }), errorType: 'UnhandledInvocationError' };
    }
    log.push({ ...entry, status: result.status, invocationType: 'Sync', ...(result.errorType ? { code: result.errorType } : {}) });
    send(res, result.status, requestId, result.body, { 'content-type': 'application/octet-stream', ...(result.errorType ? { 'x-fc-error-type': result.errorType } : {}) });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ Code: 'InternalServerError', Message: 'stand-in failure' }));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    endpoint: `127.0.0.1:${port}`,
    port,
    requests: () => log.map((r) => ({ ...r })),
    drain: async () => {
      while (background.size) await Promise.all([...background]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
