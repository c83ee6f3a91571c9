// Typed errors of the DashScope client. Every failure of a call surfaces as one of these, with a stable
// `code`, DashScope's HTTP status and request id when it answered, and whether a retry may help.
import { dashScopeFailureKind } from './failure-kind.ts';

/** HTTP statuses worth another attempt: timeouts, conflicts, throttling and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

export interface DashScopeErrorInit {
  status?: number;
  requestId?: string;
  retryable?: boolean;
  cause?: unknown;
}

export class DashScopeError extends Error {
  override name = 'DashScopeError';
  /** The HTTP status DashScope answered, when it answered (undefined for timeouts, resets, aborts). */
  readonly status?: number;
  /** Stable and machine-readable: DashScope's own code (`Throttling.RateQuota`, …) or ours (`timeout`, …). */
  readonly code: string;
  /** DashScope's request id, when it answered: what its support asks for. */
  readonly requestId?: string;
  /** Whether another attempt may succeed (the client has already made its own retries). */
  readonly retryable: boolean;

  constructor(code: string, message: string, init: DashScopeErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    if (init.status !== undefined) this.status = init.status;
    if (init.requestId) this.requestId = init.requestId;
    this.retryable = init.retryable ?? false;
  }
}

/** DashScope answered with an HTTP error (compat or native envelope, or a body that is neither). */
export class DashScopeApiError extends DashScopeError {
  override name = 'DashScopeApiError';
  declare readonly status: number;
  readonly param?: string;
  /** The compat envelope's `type` (e.g. `invalid_request_error`). */
  readonly type?: string;
  /** Delay DashScope asked for (Retry-After), when it asked. */
  readonly retryAfterMs?: number;

  constructor(
    status: number,
    code: string,
    message: string,
    init: { requestId?: string; param?: string; type?: string; cause?: unknown; retryAfterMs?: number } = {},
  ) {
    // the service's key or account (arrears, an exhausted free tier) is refused again until the operator acts,
    // whatever status it came with; only what a wait can fix is retried
    const retryable = isRetryableStatus(status) && dashScopeFailureKind({ status, code }) === 'other';
    super(code, message, { status, requestId: init.requestId, retryable, cause: init.cause });
    if (init.param) this.param = init.param;
    if (init.type) this.type = init.type;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
  }
}

/** No response at all: refused, reset or closed before the response headers. */
export class DashScopeConnectionError extends DashScopeError {
  override name = 'DashScopeConnectionError';
  /** True when the failure happened before any byte of the request could have reached DashScope. */
  readonly beforeSend: boolean;

  constructor(message: string, init: { beforeSend: boolean; cause?: unknown }) {
    super('connection_error', message, { retryable: true, cause: init.cause });
    this.beforeSend = init.beforeSend;
  }
}

/** The call's own deadline passed before the response (or, on a stream, between two chunks). */
export class DashScopeTimeoutError extends DashScopeError {
  override name = 'DashScopeTimeoutError';
  constructor(readonly timeoutMs: number) {
    super('timeout', `DashScope did not answer within ${timeoutMs} ms`, { retryable: false });
  }
}

/** The caller's AbortSignal fired; the upstream request was cancelled. */
export class DashScopeAbortedError extends DashScopeError {
  override name = 'DashScopeAbortedError';
  constructor(cause?: unknown) {
    super('aborted', 'the request to DashScope was aborted by the caller', { retryable: false, cause });
  }
}

/** A stream failed after its first byte: never retried, since part of it may already have been used. */
export class DashScopeStreamError extends DashScopeError {
  override name = 'DashScopeStreamError';
  constructor(code: string, message: string, init: DashScopeErrorInit = {}) {
    super(code, message, { ...init, retryable: false });
  }
}

/** What a caller needs to find out whether an ambiguous create took effect (e.g. with `listTasks`). */
export interface AmbiguousRequestInfo {
  method: string;
  path: string;
  model?: string;
  /** When the (last) attempt was sent and when it was given up; the task, if any, was created in between. */
  sentAt: Date;
  failedAt: Date;
  /** sha256 (hex) of the exact body that was sent, to compare with what a reconciliation finds. */
  bodySha256: string;
  attempts: number;
}

/**
 * A create request was sent and its outcome is unknown (timeout or reset after sending). It is never
 * re-sent automatically: the task may exist upstream, and sending again could create (and bill) it twice.
 */
export class DashScopeAmbiguousError extends DashScopeError {
  override name = 'DashScopeAmbiguousError';
  constructor(
    readonly request: AmbiguousRequestInfo,
    cause: DashScopeError,
  ) {
    super(
      'ambiguous_request',
      `${request.method} ${request.path} was sent but its outcome is unknown (${cause.code}); it was not re-sent`,
      { retryable: false, cause },
    );
  }
}

/** DashScope answered 2xx with a body we cannot read: a protocol error on its side (or ours). */
export class DashScopeResponseError extends DashScopeError {
  override name = 'DashScopeResponseError';
  constructor(message: string, init: { status: number; requestId?: string; cause?: unknown }) {
    super('invalid_response', message, { status: init.status, requestId: init.requestId, retryable: false, cause: init.cause });
  }
}

/** The client was built without an API key. */
export function missingApiKeyError(): DashScopeError {
  return new DashScopeError('missing_api_key', 'no DashScope API key is configured (DASHSCOPE_API_KEY)', { retryable: false });
}
