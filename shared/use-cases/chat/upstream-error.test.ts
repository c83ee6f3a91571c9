import { describe, expect, it } from 'vitest';
import { DashScopeApiError, missingApiKeyError } from '../../dashscope/errors.ts';
import { toErrorResponse } from '../../http/error-table.ts';
import { toUpstreamError } from './upstream-error.ts';

describe('toUpstreamError', () => {
  it('answers a missing DASHSCOPE_API_KEY as 502 upstream_auth_failed with a message, not a hidden 500', () => {
    const { status, body } = toErrorResponse(toUpstreamError(missingApiKeyError()), 'req-1');
    expect(status).toBe(502);
    expect(body.error.code).toBe('upstream_auth_failed');
    expect(body.error.message).toContain('missing_api_key');
    expect(body.error.message).toContain('not your API key');
  });

  it('keeps a plain DashScope 400 as the caller’s error with its own code', () => {
    const { status, body } = toErrorResponse(toUpstreamError(new DashScopeApiError(400, 'invalid_parameter_error', 'Range of top_p should be (0.0, 1.0]')), 'req-1');
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_parameter_error');
  });
});
