// Whose problem a DashScope failure is: the service's own key ("auth") or account balance/quota ("quota"), or
// anything else. The one sorting both the chat and the task APIs use, so they name such failures alike; the client
// never retries the first two (errors.ts), whatever status they came with.

export type DashScopeFailureKind = 'auth' | 'quota' | 'other';

/** What a failure must tell: DashScope's HTTP status (absent when it never answered) and its code. */
export interface DashScopeFailureFacts {
  status?: number;
  code: string;
}

// Lower-cased: the native API spells codes in PascalCase, compatible mode in snake_case.
const AUTH_CODES = new Set([
  'missing_api_key', // our own client's: no DASHSCOPE_API_KEY configured
  'invalidapikey',
  'invalid_api_key',
  'accessdenied',
  'access_denied',
  'accessdenied.unpurchased',
  'model.accessdenied',
  'workspace.accessdenied',
]);
// Billing, not throttling: Throttling.AllocationQuota / insufficient_quota is a TPM limit that clears in a
// minute (specs §7), so it stays a 429 like any other throttle.
const QUOTA_CODES = new Set(['arrearage', 'allocationquota.freetieronly']);

export function dashScopeFailureKind(f: DashScopeFailureFacts): DashScopeFailureKind {
  const code = f.code.toLowerCase();
  if (QUOTA_CODES.has(code)) return 'quota';
  // Every 403 DashScope documents is about what the key's account may use (model, workspace, purchase).
  if (AUTH_CODES.has(code) || f.status === 401 || f.status === 403) return 'auth';
  return 'other';
}
