// The public words for a DashScope failure that lies with this service's own DashScope key or account, the
// same for the chat and the task APIs, so a caller can tell it apart from its own key being refused.
import { dashScopeFailureKind, type DashScopeFailureFacts } from '../dashscope/failure-kind.ts';

export const UPSTREAM_AUTH_FAILED = 'upstream_auth_failed';
export const UPSTREAM_QUOTA_EXCEEDED = 'upstream_quota_exceeded';

export interface UpstreamAccountFailure {
  code: typeof UPSTREAM_AUTH_FAILED | typeof UPSTREAM_QUOTA_EXCEEDED;
  message: string;
}

/** Whether a failure lies with the service's DashScope key or account. */
export const isAccountFailure = (f: DashScopeFailureFacts): boolean => dashScopeFailureKind(f) !== 'other';

/** The public code and message for a failure of the service's DashScope key or account, or undefined for any other. */
export function upstreamAccountFailure(f: DashScopeFailureFacts & { message: string; requestId?: string }): UpstreamAccountFailure | undefined {
  const kind = dashScopeFailureKind(f);
  if (kind === 'other') return undefined;
  const said = `(DashScope ${f.code}: ${f.message}${f.requestId ? `; DashScope request id ${f.requestId}` : ''})`;
  if (kind === 'auth') {
    return {
      code: UPSTREAM_AUTH_FAILED,
      message: `DashScope refused this service's own DashScope credentials ${said}. This is the service's DashScope key (DASHSCOPE_API_KEY) or account, not your API key; the service's operator must fix it.`,
    };
  }
  return {
    code: UPSTREAM_QUOTA_EXCEEDED,
    message: `The DashScope account behind this service is out of quota or in arrears ${said}. This is the service's DashScope account, not your API key or usage; the service's operator must top it up.`,
  };
}
