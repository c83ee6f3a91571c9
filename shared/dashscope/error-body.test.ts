import { describe, expect, it } from 'vitest';
import { toErrorResponse } from '../http/error-table.ts';
import { apiErrorFromBody, retryAfterMs, safeExcerpt } from './error-body.ts';
import { DashScopeAbortedError, DashScopeApiError, DashScopeConnectionError, DashScopeStreamError, DashScopeTimeoutError } from './errors.ts';

const RID = '5b1a7f0e-2c3d-4e5f-8a9b-0c1d2e3f4a5b';

describe('apiErrorFromBody', () => {
  it('reads the compatible-mode envelope: code, message, param, type and request id', () => {
    const body = JSON.stringify({
      error: { code: 'invalid_parameter_error', param: null, message: 'parameter.enable_thinking must be set to false for non-streaming calls', type: 'invalid_request_error' },
      id: `chatcmpl-${RID}`,
      request_id: RID,
    });
    const e = apiErrorFromBody(400, body);
    expect(e).toBeInstanceOf(DashScopeApiError);
    expect(e).toMatchObject({
      status: 400,
      code: 'invalid_parameter_error',
      message: 'parameter.enable_thinking must be set to false for non-streaming calls',
      type: 'invalid_request_error',
      requestId: RID,
      retryable: false,
    });
    expect(e.param).toBeUndefined();
  });

  it('reads the native envelope with its code at the top level', () => {
    const e = apiErrorFromBody(401, JSON.stringify({ code: 'InvalidApiKey', message: 'Invalid API-key provided.', request_id: RID }));
    expect(e).toMatchObject({ status: 401, code: 'InvalidApiKey', message: 'Invalid API-key provided.', requestId: RID, retryable: false });
  });

  it('reads the native SSE error frame (event:error, :HTTP_STATUS, data:)', () => {
    const body = `id:1\nevent:error\n:HTTP_STATUS/400\ndata:{"code":"InvalidParameter","message":"Text too long","request_id":"${RID}"}\n\n`;
    expect(apiErrorFromBody(400, body)).toMatchObject({ code: 'InvalidParameter', message: 'Text too long', requestId: RID });
  });

  it('marks 429 and 5xx retryable and keeps the Retry-After delay', () => {
    const e = apiErrorFromBody(429, JSON.stringify({ code: 'Throttling.RateQuota', message: 'Requests rate limit exceeded' }), { retryAfterMs: 2_000 });
    expect(e).toMatchObject({ retryable: true, retryAfterMs: 2_000 });
    expect(apiErrorFromBody(503, '{"code":"ModelUnavailable","message":"later"}')).toMatchObject({ retryable: true, status: 503 });
  });

  it('falls back to the status and the header request id for a non-JSON body, quoting only a short scrubbed excerpt', () => {
    const html = `<html><body>502 Bad Gateway Authorization: Bearer sk-abcdef1234567890 ${'x'.repeat(5_000)}</body></html>`;
    const e = apiErrorFromBody(502, html, { headerRequestId: RID });
    expect(e).toMatchObject({ status: 502, code: 'http_502', requestId: RID, retryable: true });
    expect(e.message).toContain('502 Bad Gateway');
    expect(e.message).not.toContain('abcdef1234567890');
    expect(e.message.length).toBeLessThan(260);
  });

  it('says so when the error body is empty', () => {
    expect(apiErrorFromBody(500, '').message).toBe('DashScope answered HTTP 500 with an empty body');
  });

  it('falls back when the JSON is neither envelope', () => {
    expect(apiErrorFromBody(404, '{"detail":"nope"}')).toMatchObject({ code: 'http_404', status: 404 });
  });
});

describe('safeExcerpt', () => {
  it('masks keys and URL signatures and flattens control characters', () => {
    expect(safeExcerpt('key sk-1234567890abcdef\n\tat https://x.oss/a.png?Expires=1&OSSAccessKeyId=AK&Signature=abc%3D')).toBe(
      'key sk-*** at https://x.oss/a.png?Expires=***&OSSAccessKeyId=***&Signature=***',
    );
  });
});

describe('retryAfterMs', () => {
  it('reads seconds, HTTP dates and retry-after-ms', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs({ 'retry-after': '3' }, now)).toBe(3_000);
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, now)).toBe(5_000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }), now)).toBe(250);
    expect(retryAfterMs({}, now)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
  });
});

describe('HTTP mapping of the typed errors', () => {
  it('answers 4xx with DashScope message shown, and a 5xx as a bad gateway with the message replaced', () => {
    const shown = toErrorResponse(apiErrorFromBody(400, '{"code":"InvalidParameter","message":"Model not exist."}'), 'req-1');
    expect(shown.status).toBe(400);
    expect(shown.body.error).toMatchObject({ code: 'InvalidParameter', message: 'Model not exist.' });
    const hidden = toErrorResponse(apiErrorFromBody(500, '{"code":"InternalError","message":"stack at x.java:12"}'), 'req-2');
    expect(hidden.status).toBe(502);
    expect(hidden.body.error.message).not.toContain('java');
  });

  it('answers connection failures 502 with the message hidden and timeouts 504, and retries only the first', () => {
    const conn = new DashScopeConnectionError('refused', { beforeSend: true });
    const timeout = new DashScopeTimeoutError(1_000);
    expect([toErrorResponse(conn, 'r').status, toErrorResponse(conn, 'r').body.error.message, conn.retryable]).toEqual([502, 'internal error; quote request id r', true]);
    expect([toErrorResponse(timeout, 'r').status, timeout.retryable]).toEqual([504, false]);
    expect(new DashScopeStreamError('stream_interrupted', 'x').retryable).toBe(false);
    expect(new DashScopeAbortedError().retryable).toBe(false);
  });
});
