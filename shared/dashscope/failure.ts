// Maps whatever the HTTP stack threw (node:http and system errors) to our typed errors,
// and decides whether a failed request can have reached DashScope at all.
import { DashScopeConnectionError, DashScopeError } from './errors.ts';
import type { Deadline } from './deadline.ts';

/**
 * Failures that happen while connecting, before a byte of the request is written: a request that failed
 * this way certainly did not reach DashScope. Anything else (a reset, a socket closed by the other side)
 * may come after the request was sent, so it is treated as possibly sent.
 */
const BEFORE_SEND_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
]);

/** The first `code` found on the error or its causes (a wrapped error keeps the system error as its cause). */
export function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    // AggregateError from happy-eyeballs connects: look at the first inner error
    const inner = (e as { errors?: unknown[] }).errors?.[0];
    if (inner && typeof (inner as { code?: unknown }).code === 'string') return (inner as { code: string }).code;
  }
  return undefined;
}

/** The typed error for a request that failed before its response headers arrived. */
export function toRequestFailure(err: unknown, deadline: Deadline): DashScopeError {
  if (deadline.reason) return deadline.reason;
  if (err instanceof DashScopeError) return err;
  const code = errorCode(err);
  const beforeSend = code !== undefined && BEFORE_SEND_CODES.has(code);
  return new DashScopeConnectionError(`connection to DashScope failed (${code ?? 'no response'})`, { beforeSend, cause: err });
}
