// Writing responses: JSON with the request id header, and the one error path every HTTP function uses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { toErrorResponse } from './error-table.ts';
import { toDashScopeErrorResponse, type ErrorShape } from './dashscope-error.ts';

/** The caller's request id (FC's or a proxy's) or a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const h = req.headers['x-fc-request-id'] ?? req.headers['x-request-id'];
  const v = Array.isArray(h) ? h[0] : h;
  return v && /^[A-Za-z0-9._:-]{1,128}$/.test(v) ? v : randomUUID();
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, Object.assign({ 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) }, headers));
  res.end(payload);
}

/** Answers an error in the public shape (or DashScope's native one); if headers were already sent, ends the response instead. */
export function sendError(res: ServerResponse, err: unknown, requestId: string, shape: ErrorShape = 'openai'): number {
  const { status, body, headers } = shape === 'dashscope' ? toDashScopeErrorResponse(err, requestId) : toErrorResponse(err, requestId);
  if (res.headersSent) {
    res.destroy();
    return status;
  }
  sendJson(res, status, body, { 'x-request-id': requestId, ...headers });
  return status;
}
