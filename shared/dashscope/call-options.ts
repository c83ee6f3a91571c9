// The optional event hook the client reports to (metrics, tests): the client itself never logs. What every
// call accepts is the upstream ports' CallOptions (shared/ports/upstream-call.ts).

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
