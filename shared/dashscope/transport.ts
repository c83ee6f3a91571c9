// The one transport to DashScope: node:http(s) over one keep-alive Agent, one retry policy, per-attempt deadlines,
// typed errors, zod-checked answers; creates never re-sent. Why: docs/decisions/0001-one-undici-transport.md, 0004
import { createHash } from 'node:crypto';
import { request as httpRequest, type Agent, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import { readCapped } from '../streams/read-capped.ts';
import type { CallOptions } from '../ports/upstream-call.ts';
import type { OnClientEvent } from './call-options.ts';
import { emit, pickRequestId } from './call-options.ts';
import { Deadline } from './deadline.ts';
import { apiErrorFromBody, retryAfterMs } from './error-body.ts';
import { DashScopeAmbiguousError, DashScopeApiError, DashScopeConnectionError, DashScopeError, DashScopeResponseError, missingApiKeyError } from './errors.ts';
import { toRequestFailure } from './failure.ts';
import { withRetry } from './retry.ts';
import type { RetryPolicy } from './retry.ts';

export interface TransportConfig {
  origin: string;
  apiKey: string;
  workspace?: string;
  timeoutMs: number;
  retry: RetryPolicy;
  /** Keep-alive connection pool, of the origin's protocol (an https.Agent for an https origin). */
  agent: Agent;
  onEvent?: OnClientEvent;
}

export interface TransportRequest {
  /** Name reported in events (e.g. `getTask`). */
  operation: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  /** A body sent as it is (e.g. multipart/form-data), instead of `json`. */
  multipart?: { body: Buffer; contentType: string };
  headers?: Record<string, string>;
  /** A create: retried only when it certainly did not reach DashScope or DashScope refused it. */
  nonIdempotent?: boolean;
}

export interface OpenResponse {
  status: number;
  requestId: string;
  body: IncomingMessage;
  deadline: Deadline;
}

const MAX_JSON_BYTES = 16 * 1024 * 1024;

export class DashScopeTransport {
  /** Host and port of the origin: request paths are absolute, so any path on the configured origin is not used. */
  private readonly hostname: string;
  private readonly port: number | undefined;
  private readonly request: (options: RequestOptions, onResponse: (res: IncomingMessage) => void) => ClientRequest;
  private jsonHeaders: Readonly<Record<string, string>> | undefined;
  private plainHeaders: Readonly<Record<string, string>> | undefined;

  constructor(private readonly cfg: TransportConfig) {
    const url = new URL(cfg.origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`DashScope origin must be http or https, not ${url.protocol}`);
    this.hostname = url.hostname.replace(/^\[|\]$/g, '');
    this.port = url.port ? Number(url.port) : undefined;
    this.request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  }

  /** Sends the request (with retries) and returns the zod-parsed JSON answer and DashScope's request id. */
  async json<S extends z.ZodType>(req: TransportRequest, schema: S, opts: CallOptions = {}): Promise<{ data: z.infer<S>; requestId: string }> {
    return this.run(req, opts, async (res) => {
      let text: string;
      try {
        text = await readText(res.body, MAX_JSON_BYTES);
      } catch (err) {
        if (err instanceof BodyTooLargeError) throw new DashScopeResponseError(err.message, { status: res.status, requestId: res.requestId });
        throw toRequestFailure(err, res.deadline);
      }
      let parsed: z.ZodSafeParseResult<z.infer<S>> | undefined;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
        parsed = schema.safeParse(raw);
      } catch {
        parsed = undefined;
      }
      const requestId = res.requestId || pickRequestId(undefined, raw);
      if (!parsed?.success) {
        const what = parsed ? `unexpected shape (${parsed.error.issues[0]?.path.join('.') || 'root'}: ${parsed.error.issues[0]?.message})` : 'a body that is not JSON';
        throw new DashScopeResponseError(`DashScope answered ${req.method} ${req.path} with ${what}`, { status: res.status, requestId });
      }
      return { data: parsed.data, requestId };
    });
  }

  /**
   * Sends the request (with retries, which happen only until the response headers arrive) and returns the
   * response with its body unread: the caller owns `body` and `deadline` from then on (restart the deadline
   * per chunk, dispose it at the end). For streams (e.g. a compatible-mode chat stream).
   */
  async open(req: TransportRequest, opts: CallOptions = {}): Promise<OpenResponse> {
    return this.run(req, opts, (res) => res, true);
  }

  private async run<T>(req: TransportRequest, opts: CallOptions, onOk: (res: OpenResponse) => T | Promise<T>, keepOpen = false): Promise<T> {
    const body = req.multipart ? req.multipart.body : req.json === undefined ? undefined : JSON.stringify(req.json);
    let attempts = 0;
    return withRetry(
      async (n) => {
        attempts = n;
        const sentAt = req.nonIdempotent ? new Date() : undefined;
        const progress = { dispatched: false };
        try {
          const res = await this.send(req, body, opts, progress);
          try {
            // a synchronous onOk (open) is not awaited: the response goes on without another turn
            const out = onOk(res);
            const result = out instanceof Promise ? await out : out;
            if (this.cfg.onEvent) emit(this.cfg.onEvent, { kind: 'response', operation: req.operation, status: res.status, attempts, requestId: res.requestId });
            return result;
          } finally {
            if (!keepOpen) res.deadline.dispose();
          }
        } catch (err) {
          if (!req.nonIdempotent || !progress.dispatched || !(err instanceof DashScopeError) || isCertainlyNotCreated(err)) throw err;
          throw new DashScopeAmbiguousError(
            { method: req.method, path: req.path, model: modelOf(req.json), sentAt: sentAt ?? new Date(), failedAt: new Date(), bodySha256: sha256(body ?? ''), attempts: n },
            err,
          );
        }
      },
      this.cfg.retry,
      opts.signal,
      (e) =>
        emit(this.cfg.onEvent, { kind: 'retry', operation: req.operation, retry: e.retry, delayMs: e.delayMs, code: e.error.code, status: e.error.status }),
    );
  }

  /** One attempt: resolves with a 2xx response whose body is unread; throws typed errors otherwise. */
  private async send(req: TransportRequest, body: string | Buffer | undefined, opts: CallOptions, progress: { dispatched: boolean }): Promise<OpenResponse> {
    if (!this.cfg.apiKey) throw missingApiKeyError();
    // the clock starts right after the request is handed to node:http (which writes it on the next tick when a
    // pooled connection is free): arming a timer first would delay every request for nothing
    const deadline = new Deadline(opts.timeoutMs ?? this.cfg.timeoutMs, opts.signal, false);
    if (deadline.reason) throw deadline.reason;
    let res: IncomingMessage;
    progress.dispatched = true;
    try {
      res = await this.exchange(req, body, opts, deadline);
    } catch (err) {
      deadline.dispose();
      throw toRequestFailure(err, deadline);
    }
    const status = res.statusCode ?? 0;
    const requestId = pickRequestId(res.headers['x-request-id']);
    if (status >= 200 && status < 300) return { status, requestId, body: res, deadline };
    try {
      const text = await readText(res, 64 * 1024).catch(() => '');
      throw apiErrorFromBody(status, text, { headerRequestId: requestId || undefined, retryAfterMs: retryAfterMs(res.headers) });
    } finally {
      deadline.dispose();
    }
  }

  /**
   * Sends the request and resolves with the response head. Cancelling the deadline (caller's abort, time out,
   * a consumer that stops) destroys the request, or once it answered the response: either way the connection
   * is closed, so DashScope sees the cancel, and a body being read fails with the deadline's reason.
   */
  private exchange(req: TransportRequest, body: string | Buffer | undefined, opts: CallOptions, deadline: Deadline): Promise<IncomingMessage> {
    return new Promise<IncomingMessage>((resolve, reject) => {
      let res: IncomingMessage | undefined;
      const r = this.request(
        { hostname: this.hostname, port: this.port, path: this.pathOf(req), method: req.method, headers: this.headers(req, opts, body !== undefined), agent: this.cfg.agent },
        (m) => {
          res = m;
          // a body destroyed before its reader listens (a cancel right after the head) must not throw uncaught
          m.on('error', ignore);
          resolve(m);
        },
      );
      deadline.once('abort', () => void (res ?? r).destroy(deadline.reason as Error));
      // after the head, a broken connection is reported by the body; this listener only keeps it from going unheard
      r.on('error', reject);
      // a string body is sent with its Content-Length (the head is not written before end)
      r.end(body);
      deadline.restart();
    });
  }

  /** Path and query string; `req.path` is absolute and already encoded. */
  private pathOf(req: TransportRequest): string {
    if (!req.query) return req.path;
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query)) if (v !== undefined) search.set(k, String(v));
    const q = search.toString();
    return q ? `${req.path}${req.path.includes('?') ? '&' : '?'}${q}` : req.path;
  }

  private headers(req: TransportRequest, opts: CallOptions, hasBody: boolean): Readonly<Record<string, string>> {
    // the common case (no per-call headers) is the same object every time: built once, never mutated
    if (!opts.headers && !req.headers && !req.multipart) return hasBody ? (this.jsonHeaders ??= Object.freeze(this.buildHeaders(req, opts, true))) : (this.plainHeaders ??= Object.freeze(this.buildHeaders(req, opts, false)));
    return this.buildHeaders(req, opts, hasBody);
  }

  private buildHeaders(req: TransportRequest, opts: CallOptions, hasBody: boolean): Record<string, string> {
    return {
      Accept: 'application/json',
      ...(hasBody ? { 'Content-Type': req.multipart ? req.multipart.contentType : 'application/json' } : {}),
      ...(this.cfg.workspace ? { 'X-DashScope-WorkSpace': this.cfg.workspace } : {}),
      ...opts.headers,
      ...req.headers,
      Authorization: `Bearer ${this.cfg.apiKey}`,
    };
  }
}

/** DashScope refused it (an error status), or it never left this machine: no task can exist. */
function isCertainlyNotCreated(err: DashScopeError): boolean {
  // A 504 is a gateway that stopped waiting for DashScope after forwarding the request: the task may exist.
  if (err instanceof DashScopeApiError) return err.status !== 504;
  return err instanceof DashScopeConnectionError && err.beforeSend;
}

function modelOf(json: unknown): string | undefined {
  const model = (json as { model?: unknown } | undefined)?.model;
  return typeof model === 'string' ? model : undefined;
}

function ignore(): void {}

function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

class BodyTooLargeError extends Error {}

/** Reads a body as UTF-8 text, refusing more than `maxBytes`. */
async function readText(body: Readable, maxBytes: number): Promise<string> {
  const bytes = await readCapped(body, maxBytes, {
    tooLarge: () => new BodyTooLargeError(`DashScope answered with a body larger than ${maxBytes} bytes`),
    closedEarly: () => new Error('the response body closed before its end'),
    onOverflow: 'destroy',
  });
  return bytes.toString('utf8');
}
