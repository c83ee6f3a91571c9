// What every DashScope call accepts, and the optional event hook the client reports to (metrics, tests);
// the client itself never logs.
import type { CallerSignal } from '../streams/cancellation.ts';

export interface CallOptions {
  /** The caller's cancellation: aborting it cancels the upstream request and any wait between retries. */
  signal?: CallerSignal;
  /**
   * Per attempt: the time allowed until the whole answer has arrived; on streams, until the response
   * headers and then between two chunks. Defaults to the client's `timeoutMs`.
   */
  timeoutMs?: number;
  /** Extra request headers (e.g. `X-DashScope-DataInspection`). */
  headers?: Record<string, string>;
}

export type DashScopeClientEvent =
  | { kind: 'retry'; operation: string; retry: number; delayMs: number; code: string; status?: number }
  | { kind: 'response'; operation: string; status: number; attempts: number; requestId: string };

export type OnClientEvent = (event: DashScopeClientEvent) => void;

/** Reports an event; a failing hook never fails the call it reports on. */
export function emit(onEvent: OnClientEvent | undefined, event: DashScopeClientEvent): void {
  try {
    onEvent?.(event);
  } catch {
    // metrics are best effort
  }
}

/** Who answered: DashScope's request id, from the `x-request-id` header or the body's `request_id`. */
export function pickRequestId(headerValue: string | string[] | null | undefined, body?: unknown): string {
  const header = Array.isArray(headerValue) ? headerValue[0] : headerValue;
  if (header) return header;
  const fromBody = (body as { request_id?: unknown } | undefined)?.request_id;
  return typeof fromBody === 'string' ? fromBody : '';
}
