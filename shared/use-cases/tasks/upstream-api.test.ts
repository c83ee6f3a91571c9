import { describe, expect, it } from 'vitest';
import {
  DashScopeAmbiguousError,
  DashScopeApiError,
  DashScopeConnectionError,
  DashScopeResponseError,
  DashScopeTimeoutError,
  missingApiKeyError,
} from '../../dashscope/errors.ts';
import { classifyUpstreamError } from './upstream-api.ts';

const ambiguous = new DashScopeAmbiguousError({ method: 'POST', path: '/x', sentAt: new Date(), failedAt: new Date(), bodySha256: '', attempts: 1 }, new DashScopeTimeoutError(1));

describe('classifyUpstreamError', () => {
  it('never lets a create that may have reached DashScope be sent again', () => {
    for (const e of [ambiguous, new DashScopeTimeoutError(5), new DashScopeConnectionError('reset', { beforeSend: false }), new DashScopeResponseError('bad body', { status: 200 })]) {
      expect(classifyUpstreamError(e, 'create').kind).toBe('ambiguous');
    }
  });

  it('lets a create be sent again when DashScope answered an error or nothing was sent', () => {
    expect(classifyUpstreamError(new DashScopeApiError(429, 'Throttling.RateQuota', 'slow down'), 'create').kind).toBe('transient');
    expect(classifyUpstreamError(new DashScopeApiError(500, 'InternalError', 'oops'), 'create').kind).toBe('transient');
    expect(classifyUpstreamError(new DashScopeConnectionError('refused', { beforeSend: true }), 'create').kind).toBe('transient');
  });

  it('fails a create at once when no DashScope key is configured: no later attempt can succeed', () => {
    expect(classifyUpstreamError(missingApiKeyError(), 'create')).toEqual({ kind: 'rejected', code: 'missing_api_key', message: expect.stringContaining('DASHSCOPE_API_KEY') });
  });

  it("keeps DashScope's code and message for a definite refusal", () => {
    expect(classifyUpstreamError(new DashScopeApiError(400, 'InvalidParameter', 'Model not exist.', { requestId: 'r1' }), 'create')).toEqual({
      kind: 'rejected', status: 400, code: 'InvalidParameter', message: 'Model not exist.', requestId: 'r1',
    });
  });

  it('treats a failed query as something to retry later', () => {
    expect(classifyUpstreamError(new DashScopeTimeoutError(5)).kind).toBe('transient');
    expect(classifyUpstreamError(new Error('boom'))).toEqual({ kind: 'transient', code: 'UpstreamError', message: 'boom' });
  });
});
