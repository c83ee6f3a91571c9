// DashScope's failures as the chat use cases report them: DashScope's own code and request id, and what kind
// of failure it was (the service's key or account, a refusal of the request, throttling, an outage, …).
import {
  DashScopeAbortedError,
  DashScopeAmbiguousError,
  DashScopeApiError,
  DashScopeConnectionError,
  DashScopeError,
  DashScopeResponseError,
  DashScopeStreamError,
  DashScopeTimeoutError,
} from '../../dashscope/errors.ts';
import type { CallerSignal } from '../../streams/cancellation.ts';
import { upstreamAccountFailure } from '../upstream-account.ts';
import { UpstreamError, type UpstreamProblem } from './chat-errors.ts';

/** True when the caller's signal ended the call (the client went away), not DashScope. */
export function isAbort(e: unknown, signal?: CallerSignal): boolean {
  return e instanceof DashScopeAbortedError || Boolean(signal?.aborted) || (e instanceof Error && e.name === 'AbortError');
}

function byStatus(status: number): UpstreamProblem {
  if (status === 429) return 'throttled';
  if (status === 504) return 'timeout';
  if (status >= 500) return 'unavailable';
  return status >= 400 ? 'refused' : 'broken';
}

function problemOf(e: DashScopeError): UpstreamProblem {
  if (e instanceof DashScopeAbortedError) return 'canceled';
  if (e instanceof DashScopeTimeoutError) return 'timeout';
  if (e instanceof DashScopeAmbiguousError) return e.cause instanceof DashScopeError ? problemOf(e.cause) : 'unavailable';
  if (e instanceof DashScopeConnectionError) return 'unavailable';
  if (e instanceof DashScopeResponseError) return 'broken';
  if (e instanceof DashScopeStreamError && e.code === 'stream_timeout') return 'timeout';
  return e.status !== undefined ? byStatus(e.status) : 'broken';
}

/** Maps any failure of a DashScope call to an UpstreamError; errors that are not DashScope's pass through. */
export function toUpstreamError(e: unknown): unknown {
  if (e instanceof UpstreamError || !(e instanceof DashScopeError)) return e;
  const rid = e.requestId;
  // The service's own key or account: a code of its own, so the app never mistakes it for its key being refused.
  const account = upstreamAccountFailure({ ...(e.status !== undefined ? { status: e.status } : {}), code: e.code, message: e.message, ...(rid ? { requestId: rid } : {}) });
  if (account) return new UpstreamError(account.code === 'upstream_quota_exceeded' ? 'quota' : 'auth', account.code, account.message, rid, true, e.status, { cause: e });
  const message = rid ? `${e.message} (DashScope request id ${rid})` : e.message;
  const problem = problemOf(e);
  // DashScope's own answers and our deadline are shown; a reset or an unreadable body says nothing useful
  const expose = e instanceof DashScopeApiError || e instanceof DashScopeTimeoutError || e instanceof DashScopeStreamError;
  return new UpstreamError(problem, e.code, message, rid, expose, e.status, { cause: e });
}
