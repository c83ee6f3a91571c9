// The one transport to DashScope: undici over one pooled Agent, one retry policy, per-attempt deadlines,
// typed errors, zod-checked answers; creates never re-sent. Why: docs/decisions/0001-one-undici-transport.md
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Dispatcher } from '../http-client/undici-agent.ts';
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
  agent: Dispatcher;
  onEvent?: OnClientEvent;
}

export interface TransportRequest {
  /** Name reported in events (e.g. `getTask`). */
  operation: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  headers?: Record<string, string>;
  /** A create: retried only when it certainly did not reach DashScope or DashScope refused it. */
  nonIdempotent?: boolean;
}

export interface OpenResponse {
  status: number;
  requestId: string;
  body: Dispatcher.ResponseData['body'];
  deadline: Deadline;
}

const MAX_JSON_BYTES = 16 * 1024 * 1024;

export class DashScopeTransport {
  /** Scheme, host and port: request paths are absolute, so any path on the configured origin is not used. */
  private readonly origin: string;
  private jsonHeaders: Readonly<Record<string, string>> | undefined;
  private plainHeaders: Readonly<Record<string, string>> | undefined;

  constructor(private readonly cfg: TransportConfig) {
    this.origin = new URL(cfg.origin).origin;
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
    const body = req.json === undefined ? undefined : JSON.stringify(req.json);
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
  private async send(req: TransportRequest, body: string | undefined, opts: CallOptions, progress: { dispatched: boolean }): Promise<OpenResponse> {
    if (!this.cfg.apiKey) throw missingApiKeyError();
    // the clock starts right after the request is handed to the connection (undici writes it synchronously
    // when a connection is free): arming a timer first would delay every request for nothing
    const deadline = new Deadline(opts.timeoutMs ?? this.cfg.timeoutMs, opts.signal, false);
    if (deadline.reason) throw deadline.reason;
    let res: Dispatcher.ResponseData;
    progress.dispatched = true;
    try {
      // the Agent's own request: undici's top-level `request` would parse the URL again on every call
      const sent = this.cfg.agent.request({
        origin: this.origin,
        path: this.pathOf(req),
        method: req.method,
        headers: this.headers(req, opts, body !== undefined),
        body,
        signal: deadline,
      });
      deadline.restart();
      res = await sent;
    } catch (err) {
      deadline.dispose();
      throw toRequestFailure(err, deadline);
    }
    const requestId = pickRequestId(res.headers['x-request-id']);
    if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, requestId, body: res.body, deadline };
    try {
      const text = await readText(res.body, 64 * 1024).catch(() => '');
      throw apiErrorFromBody(res.statusCode, text, { headerRequestId: requestId || undefined, retryAfterMs: retryAfterMs(res.headers) });
    } finally {
      deadline.dispose();
    }
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
    if (!opts.headers && !req.headers) return hasBody ? (this.jsonHeaders ??= Object.freeze(this.buildHeaders(req, opts, true))) : (this.plainHeaders ??= Object.freeze(this.buildHeaders(req, opts, false)));
    return this.buildHeaders(req, opts, hasBody);
  }

  private buildHeaders(req: TransportRequest, opts: CallOptions, hasBody: boolean): Record<string, string> {
    return {
      Accept: 'application/json',
      ...(hasBody ? { 'Content-Type': 'application/json' } : {}),
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

function sha256(text: string): string {
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
