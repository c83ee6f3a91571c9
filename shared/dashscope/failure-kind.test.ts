import { describe, expect, it } from 'vitest';
import { dashScopeFailureKind } from './failure-kind.ts';

describe('dashScopeFailureKind', () => {
  it('sorts refused keys and denied access as the service key, in either API spelling', () => {
    expect(dashScopeFailureKind({ status: 401, code: 'InvalidApiKey' })).toBe('auth');
    expect(dashScopeFailureKind({ status: 401, code: 'invalid_api_key' })).toBe('auth');
    expect(dashScopeFailureKind({ status: 403, code: 'Model.AccessDenied' })).toBe('auth');
    expect(dashScopeFailureKind({ code: 'missing_api_key' })).toBe('auth');
  });

  it('sorts arrears and an exhausted free tier as the account, but not a TPM throttle', () => {
    expect(dashScopeFailureKind({ status: 400, code: 'Arrearage' })).toBe('quota');
    expect(dashScopeFailureKind({ status: 403, code: 'AllocationQuota.FreeTierOnly' })).toBe('quota');
    expect(dashScopeFailureKind({ status: 429, code: 'insufficient_quota' })).toBe('other');
    expect(dashScopeFailureKind({ status: 400, code: 'InvalidParameter' })).toBe('other');
  });
});
