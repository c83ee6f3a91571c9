// DashScope's failures as the app should see them: DashScope's own code and request id, with a status that
// says whose fault it is (a rejected service key or an upstream crash is a bad gateway, not the app's 401/500).
import { DashScopeAbortedError, DashScopeApiError, DashScopeError, DashScopeStreamError, DashScopeTimeoutError } from '../../dashscope/errors.ts';
import type { CallerSignal } from '../../streams/cancellation.ts';
import { UpstreamError } from './chat-errors.ts';

function publicStatus(e: DashScopeError): number {
  if (!(e instanceof DashScopeApiError)) return e.statusCode >= 400 && e.statusCode <= 599 ? e.statusCode : 502;
  const s = e.status;
  if (s === 401) return 502; // the service's own key was refused: nothing the app can fix
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
  const message = rid ? `${e.message} (DashScope request id ${rid})` : e.message;
  const expose = e instanceof DashScopeApiError || e instanceof DashScopeTimeoutError || e instanceof DashScopeStreamError || e.expose;
  return new UpstreamError(publicStatus(e), e.code, message, rid, expose, { cause: e });
}
