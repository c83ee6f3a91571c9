// CORS for the HTTP functions: browsers on an allowed origin (CORS_ALLOWED_ORIGINS) may call them. Every answer
// to such an origin carries Access-Control-Allow-Origin; OPTIONS (the preflight) is answered before the key check.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Headers a browser app may read from our answers. */
const EXPOSED = 'x-request-id, x-conversation-id, x-dashscope-request-id, x-dashscope-fc-json-instruction, x-dashscope-fc-json-schema, x-dashscope-fc-thinking, retry-after, location';
/** Headers a preflight may ask for when it asks for none in particular. */
const DEFAULT_ALLOWED_HEADERS = 'authorization, content-type, idempotency-key, x-conversation-id, x-request-id';
/** How long a browser may cache a preflight answer (seconds). */
const MAX_AGE_S = '600';

function originOf(req: IncomingMessage): string | undefined {
  const v = req.headers.origin;
  return typeof v === 'string' && v !== 'null' ? v : undefined;
}

/** The origin to echo for this request, or undefined when it is not allowed (or there is none). */
export function allowedOrigin(req: IncomingMessage, allowed: readonly string[]): string | undefined {
  if (!allowed.length) return undefined;
  const origin = originOf(req);
  if (!origin) return undefined;
  if (allowed.includes('*')) return '*';
  return allowed.includes(origin) ? origin : undefined;
}

/** Sets the CORS headers of an ordinary answer (before it is written). */
export function applyCors(req: IncomingMessage, res: ServerResponse, allowed: readonly string[]): void {
  const origin = allowedOrigin(req, allowed);
  if (!origin) return;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-expose-headers', EXPOSED);
  if (origin !== '*') res.setHeader('vary', 'Origin');
}

/**
 * Answers OPTIONS on a known path: 204 with Allow, and for an allowed origin's preflight the methods and
 * headers it may use. A refused origin gets no CORS headers, so its browser blocks the call.
 */
export function answerOptions(req: IncomingMessage, res: ServerResponse, allowed: readonly string[], methods: readonly string[]): void {
  const allow = [...new Set([...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'])].join(', ');
  const headers: Record<string, string> = { allow, 'content-length': '0' };
  const origin = allowedOrigin(req, allowed);
  if (origin && req.headers['access-control-request-method']) {
    const asked = req.headers['access-control-request-headers'];
    Object.assign(headers, {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': allow,
      // the key is checked on the call itself: any header the app's client library sends may come along
      'access-control-allow-headers': typeof asked === 'string' && asked.length <= 2048 ? asked : DEFAULT_ALLOWED_HEADERS,
      'access-control-max-age': MAX_AGE_S,
      ...(origin !== '*' ? { vary: 'Origin' } : {}),
    });
  }
  res.writeHead(204, headers);
  res.end();
}
