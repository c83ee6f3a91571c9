// Turns an HTTP error answer from DashScope (either JSON envelope, an SSE error frame, or anything else, such
// as an HTML page from a proxy) into a DashScopeApiError, never echoing more than a short, scrubbed excerpt.
import { DashScopeApiError } from './errors.ts';
import { parseErrorEnvelope } from './schemas.ts';

const EXCERPT_CHARS = 160;

/** A short, single-line excerpt with anything that looks like a credential masked. */
export function safeExcerpt(raw: string, max = EXCERPT_CHARS): string {
  const oneLine = Array.from(raw.slice(0, max * 4), (ch) => (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f ? ' ' : ch))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
  const masked = oneLine
    .replace(/\b(sk-|Bearer\s+)[A-Za-z0-9._~+/=-]{4,}/gi, '$1***')
    .replace(/(Signature|OSSAccessKeyId|Expires|security-token)=[^&\s"']+/gi, '$1=***');
  return masked.length > max ? `${masked.slice(0, max)}…` : masked;
}

/** Parses a JSON body, or the first `data:` payload of an SSE body; undefined when neither parses. */
export function parseJsonOrSse(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    // an SSE error answer (native streaming): `event:error`, `:HTTP_STATUS/4xx`, `data:{code,message,…}`
    const data = /^data:\s?(.*)$/m.exec(trimmed)?.[1];
    if (data === undefined) return undefined;
    try {
      return JSON.parse(data);
    } catch {
      return undefined;
    }
  }
}

/** Retry-After (seconds or HTTP date) or retry-after-ms, as milliseconds; undefined when absent or odd. */
export function retryAfterMs(headers: Headers | Record<string, string | string[] | undefined>, now = Date.now()): number | undefined {
  const get = (name: string): string | undefined => {
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
    const v = (headers as Record<string, string | string[] | undefined>)[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const ms = Number(get('retry-after-ms'));
  if (Number.isFinite(ms) && ms >= 0 && get('retry-after-ms') !== undefined) return ms;
  const ra = get('retry-after');
  if (ra === undefined) return undefined;
  const seconds = Number(ra);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function apiErrorFromBody(
  status: number,
  bodyText: string,
  init: { headerRequestId?: string; retryAfterMs?: number } = {},
): DashScopeApiError {
  const envelope = parseErrorEnvelope(parseJsonOrSse(bodyText));
  const requestId = envelope?.requestId ?? init.headerRequestId;
  const opt = { requestId, retryAfterMs: init.retryAfterMs };
  if (envelope?.code || envelope?.message) {
    return new DashScopeApiError(status, envelope.code ?? `http_${status}`, envelope.message ?? `DashScope answered HTTP ${status}`, {
      ...opt,
      param: envelope.param,
      type: envelope.type,
    });
  }
  const excerpt = safeExcerpt(bodyText);
  const message = excerpt ? `DashScope answered HTTP ${status}: ${excerpt}` : `DashScope answered HTTP ${status} with an empty body`;
  return new DashScopeApiError(status, `http_${status}`, message, opt);
}
