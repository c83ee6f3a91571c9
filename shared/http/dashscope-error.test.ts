// DashScope's native error shape: the error table's status and message, DashScope's code, the request id.
import { describe, expect, it } from 'vitest';
import { UnknownModelError } from '../catalog/catalog.ts';
import { RateLimitedError } from '../use-cases/guards/guard-errors.ts';
import { InvalidRequestError } from '../validation/request-errors.ts';
import { errorShapeOf, toDashScopeErrorResponse } from './dashscope-error.ts';
import { HttpError } from './errors.ts';

describe('toDashScopeErrorResponse', () => {
  it('answers a refusal with the status of the error table and only code, message and request_id', () => {
    const r = toDashScopeErrorResponse(new InvalidRequestError('invalid_request', 'input.prompt: must not be empty', 'input.prompt'), 'req-1');
    expect(r).toEqual({ status: 400, headers: {}, body: { code: 'InvalidParameter', message: 'input.prompt: must not be empty', request_id: 'req-1' } });
  });

  it("names DashScope's codes for a missing key, an unknown model, a throttle (keeping Retry-After) and malformed JSON", () => {
    expect(toDashScopeErrorResponse(new HttpError(401, 'missing_api_key', 'needs a key', { headers: { 'www-authenticate': 'Bearer' } }), 'r')).toMatchObject({ status: 401, body: { code: 'InvalidApiKey' }, headers: { 'www-authenticate': 'Bearer' } });
    expect(toDashScopeErrorResponse(new UnknownModelError('nope', []), 'r')).toMatchObject({ status: 404, body: { code: 'ModelNotFound' } });
    expect(toDashScopeErrorResponse(new InvalidRequestError('invalid_json', 'request body is not JSON'), 'r')).toMatchObject({ status: 400, body: { code: 'BadRequest.IllegalInput' } });
    const throttled = toDashScopeErrorResponse(new RateLimitedError('tenant-rpm', 7, 'over 2 requests per minute'), 'r');
    expect(throttled).toMatchObject({ status: 429, body: { code: 'Throttling.RateQuota' }, headers: { 'retry-after': '7' } });
  });

  it('never shows the message of an internal error, quoting the request id instead', () => {
    const r = toDashScopeErrorResponse(new Error('row 42 of the tasks table is corrupt'), 'req-9');
    expect(r).toEqual({ status: 500, headers: {}, body: { code: 'InternalError', message: 'internal error; quote request id req-9', request_id: 'req-9' } });
  });
});

describe('errorShapeOf', () => {
  it("shapes errors of DashScope's native paths as DashScope does, every other path as OpenAI does", () => {
    expect(errorShapeOf('/api/v1/tasks/x')).toBe('dashscope');
    expect(errorShapeOf('/api/v1/services/embeddings/text-embedding/text-embedding')).toBe('dashscope');
    expect(errorShapeOf('/v1/tasks/x')).toBe('openai');
    expect(errorShapeOf('/compatible-mode/v1/chat/completions')).toBe('openai');
  });
});
