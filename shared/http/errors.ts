// The one error type HTTP entry points speak, and the one function that maps any error to the public
// JSON shape {"error": {code, message, type, request_id}}. 4xx messages are shown; 5xx are replaced by a
// generic message carrying the request id, so no vendor error or stack ever reaches a client.
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** `expose`: show a 5xx message too, when it is written for the caller and carries nothing internal. */
    readonly extra: { param?: string; type?: string; headers?: Record<string, string>; cause?: unknown; expose?: boolean } = {},
  ) {
    super(message, { cause: extra.cause });
  }
  get expose(): boolean {
    return this.extra.expose ?? this.statusCode < 500;
  }
}

export interface ErrorBody {
  error: { code: string; message: string; type: string; param?: string | null; request_id: string };
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** Anything with a numeric statusCode and a string code is treated as a typed error of ours. */
interface TypedError {
  statusCode: number;
  code: string;
  message: string;
  expose?: boolean;
  param?: string;
}
function isTyped(e: unknown): e is TypedError {
  return typeof e === 'object' && e !== null && typeof (e as TypedError).statusCode === 'number' && typeof (e as TypedError).code === 'string';
}

export function toErrorResponse(err: unknown, requestId: string): { status: number; body: ErrorBody; headers: Record<string, string> } {
  if (isTyped(err)) {
    const status = err.statusCode >= 400 && err.statusCode <= 599 ? err.statusCode : 500;
    const expose = err.expose ?? status < 500;
    const type = (err instanceof HttpError && err.extra.type) || TYPE_BY_STATUS[status] || (status >= 500 ? 'api_error' : 'invalid_request_error');
    return {
      status,
      headers: err instanceof HttpError ? (err.extra.headers ?? {}) : {},
      body: {
        error: {
          code: err.code,
          message: expose ? err.message : `internal error; quote request id ${requestId}`,
          type,
          ...(err.param ?? (err instanceof HttpError ? err.extra.param : undefined) ? { param: err.param ?? (err as HttpError).extra.param } : {}),
          request_id: requestId,
        },
      },
    };
  }
  return {
    status: 500,
    headers: {},
    body: { error: { code: 'internal_error', message: `internal error; quote request id ${requestId}`, type: 'api_error', request_id: requestId } },
  };
}
