// The path of every request: log it, read its body, apply faults (header, queue, run-wide), check the
// Bearer key, route it, and turn any error into the envelope of its surface.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pause, startEventStream, sendJson, type RequestContext, type Surface } from './context.ts';
import type { EmulatorEnv } from './env.ts';
import {
  ApiError, compatErrorBody, errorForStatus, MESSAGES, nativeErrorBody, nativeSseErrorFrame, ossErrorXml,
} from './errors.ts';
import { cutAfterBytes, resetNow, resetOnCommit } from './fault-effects.ts';
import { parseShortFaults, planFaults, rollRunWide, type Fault, type FaultQueue, type RunWideFault } from './faults.ts';
import type { RequestLog } from './request-log.ts';
import { findRoute } from './routes.ts';

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface PipelineDeps {
  env: EmulatorEnv;
  queue: FaultQueue;
  runWide: RunWideFault[];
  log: RequestLog;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError('payloadTooLarge', `Request body exceeds ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseJson(raw: Buffer, contentType: string): { body: unknown; error?: ApiError } {
  if (!raw.length || /multipart\//i.test(contentType)) return { body: undefined };
  try {
    return { body: JSON.parse(raw.toString('utf8')) };
  } catch {
    return { body: undefined, error: new ApiError('invalidParameter', 'The request body is not valid JSON.', { nativeCode: 'BadRequest.IllegalInput' }) };
  }
}

function headerFaults(req: IncomingMessage): Fault[] {
  const h = req.headers['x-emulator-fault'];
  const text = Array.isArray(h) ? h.join(';') : h;
  if (!text) return [];
  try {
    return parseShortFaults(text).map((f) => f.fault);
  } catch (e) {
    throw new ApiError('invalidParameter', `X-Emulator-Fault: ${(e as Error).message}`);
  }
}

function checkAuth(req: IncomingMessage, env: EmulatorEnv): void {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
  if (!m || !env.options.apiKeys.includes(m[1]!)) {
    throw new ApiError('invalidApiKey', MESSAGES.invalidKeyNative, { compatMessage: MESSAGES.invalidKeyCompat });
  }
}

export function sendFailure(ctx: RequestContext, err: unknown): void {
  const e = err instanceof ApiError ? err : new ApiError('internal', MESSAGES.internal);
  if (!(err instanceof ApiError)) console.error('[emulator] unexpected error', err);
  if (ctx.res.headersSent || ctx.res.destroyed) {
    ctx.res.destroy();
    return;
  }
  if (ctx.surface === 'results') {
    const xml = ossErrorXml(e.nativeCode, e.message, ctx.requestId, ctx.req.headers.host ?? 'localhost', e.extra.ossFields);
    ctx.res.writeHead(e.status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(xml)), 'x-request-id': ctx.requestId, server: 'AliyunOSS' });
    ctx.res.end(ctx.method === 'HEAD' ? undefined : xml);
  } else if (ctx.surface === 'compat') {
    sendJson(ctx, e.status, compatErrorBody(e, ctx.requestId, ctx.path.endsWith('/chat/completions')));
  } else if (ctx.nativeSse) {
    startEventStream(ctx, e.status);
    ctx.res.end(nativeSseErrorFrame(e, ctx.requestId));
  } else {
    sendJson(ctx, e.status, nativeErrorBody(e, ctx.requestId));
  }
}

function surfaceOf(path: string): Surface {
  return path.startsWith('/compatible-mode/') ? 'compat' : path.startsWith('/results/') ? 'results' : 'native';
}

export async function handleRequest(req: IncomingMessage, res: ServerResponse, deps: PipelineDeps, path: string, query: URLSearchParams): Promise<void> {
  const { env } = deps;
  const method = (req.method ?? 'GET').toUpperCase();
  const requestId = randomUUID();
  const entry = deps.log.start(requestId, method, path);
  const abort = new AbortController();
  const accept = String(req.headers.accept ?? '');
  const ctx: RequestContext = {
    req, res, requestId, method, path, query, params: {}, surface: surfaceOf(path), body: undefined, rawBody: Buffer.alloc(0),
    entry, plan: { latencyMs: 0, labels: [] }, signal: abort.signal, arrivedAt: Date.now(), killedByFault: false,
    nativeSse: String(req.headers['x-dashscope-sse'] ?? '').toLowerCase() === 'enable' || accept.includes('text/event-stream'),
  };
  res.on('close', () => {
    const now = Date.now();
    entry.endedAt = now;
    entry.status = res.headersSent ? res.statusCode : null;
    if (!res.writableFinished && !ctx.killedByFault) {
      entry.aborted = true;
      entry.abortedAt = now;
    }
    deps.log.changed();
    abort.abort();
  });
  try {
    ctx.rawBody = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(req);
    const { body, error } = parseJson(ctx.rawBody, String(req.headers['content-type'] ?? ''));
    ctx.body = body;
    const model = typeof body === 'object' && body !== null && typeof (body as { model?: unknown }).model === 'string' ? (body as { model: string }).model : undefined;
    if (model) entry.model = model;
    const facts = { method, path, model };
    const queued = deps.queue.take(facts);
    ctx.plan = planFaults([...headerFaults(req), ...(queued ? [queued] : []), ...rollRunWide(deps.runWide, facts)]);
    entry.faults = ctx.plan.labels;
    if (ctx.plan.latencyMs > 0 && !(await pause(ctx, ctx.plan.latencyMs))) return;
    const t = ctx.plan.terminal;
    if (t?.kind === 'hang') return;
    if (t?.kind === 'reset' && !t.afterBytes) return resetNow(ctx);
    if (t?.kind === 'status') throw errorForStatus(t.status, t.code, t.message);
    if (t?.kind === 'reset') cutAfterBytes(ctx, t.afterBytes!);
    if (t?.kind === 'reset-after-commit') resetOnCommit(ctx);
    if (ctx.surface !== 'results') checkAuth(req, env);
    if (error) throw error;
    const found = findRoute(method, path);
    if (!found) throw new ApiError('notFound', `Not found: ${method} ${path}`);
    if ('allow' in found) throw new ApiError('notFound', `Method ${method} is not allowed on ${path}; allowed: ${found.allow.join(', ')}`, { status: 405, nativeCode: 'MethodNotAllowed', compatCode: 'method_not_allowed' });
    ctx.params = found.params;
    await found.handler(ctx, env);
  } catch (err) {
    if (!abort.signal.aborted) sendFailure(ctx, err);
  }
}
