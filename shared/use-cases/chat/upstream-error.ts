// DashScope's failures as the app should see them: DashScope's own code and request id, with a status that
// says whose fault it is (a rejected service key or an upstream crash is a bad gateway, not the app's 401/500).
import { DashScopeAbortedError, DashScopeApiError, DashScopeError, DashScopeStreamError, DashScopeTimeoutError } from '../../dashscope/errors.ts';
import type { CallerSignal } from '../../streams/cancellation.ts';
import { upstreamAccountFailure } from '../upstream-account.ts';
import { UpstreamError } from './chat-errors.ts';

function publicStatus(e: DashScopeError): number {
  if (!(e instanceof DashScopeApiError)) return e.statusCode >= 400 && e.statusCode <= 599 ? e.statusCode : 502;
  const s = e.status;
  if (s === 429 || s === 503 || s === 504) return s;
  if (s >= 500) return 502;
  return s >= 400 ? s : 502;
}

/** True when the caller's signal ended the call (the client went away), not DashScope. */
export function isAbort(e: unknown, signal?: CallerSignal): boolean {
  return e instanceof DashScopeAbortedError || Boolean(signal?.aborted) || (e instanceof Error && e.name === 'AbortError');
}

/** Maps any failure of a DashScope call to an UpstreamError; errors that are not DashScope's pass through. */
export function toUpstreamError(e: unknown): unknown {
  if (e instanceof UpstreamError || !(e instanceof DashScopeError)) return e;
  const rid = e.requestId;
  // The service's own key or account: a code of its own, so the app never mistakes it for its key being refused.
  const account = upstreamAccountFailure({ ...(e.status !== undefined ? { status: e.status } : {}), code: e.code, message: e.message, ...(rid ? { requestId: rid } : {}) });
  if (account) return new UpstreamError(account.statusCode, account.code, account.message, rid, true, { cause: e });
  const message = rid ? `${e.message} (DashScope request id ${rid})` : e.message;
  const expose = e instanceof DashScopeApiError || e instanceof DashScopeTimeoutError || e instanceof DashScopeStreamError || e.expose;
  return new UpstreamError(publicStatus(e), e.code, message, rid, expose, { cause: e });
}
