// The headers FC puts on every request it sends a custom-runtime instance: the control path (HTTP trigger or
// event call), the request id, the function's settings and the role's credentials.
import type { FcContext } from '../../shared/runtime/fc.ts';
import type { FunctionSpec } from '../runtime/s-yaml.ts';
import type { CloudCredentials } from '../../shared/runtime/fc-credentials.ts';

export type ControlPath = '/http-invoke' | '/invoke';

export interface FcHeaderInput {
  spec: FunctionSpec;
  requestId: string;
  controlPath: ControlPath;
  region: string;
  accountId: string;
  credentials: CloudCredentials;
  retryCount?: number;
}

export function fcHeaders(h: FcHeaderInput): Record<string, string> {
  return {
    'x-fc-request-id': h.requestId,
    'x-fc-control-path': h.controlPath,
    'x-fc-function-name': h.spec.functionName,
    'x-fc-function-timeout': String(h.spec.timeoutS),
    ...(h.spec.memoryMb ? { 'x-fc-function-memory': String(h.spec.memoryMb) } : {}),
    'x-fc-region': h.region,
    'x-fc-account-id': h.accountId,
    'x-fc-access-key-id': h.credentials.accessKeyId,
    'x-fc-access-key-secret': h.credentials.accessKeySecret,
    ...(h.credentials.securityToken ? { 'x-fc-security-token': h.credentials.securityToken } : {}),
    ...(h.retryCount !== undefined ? { 'x-fc-retry-count': String(h.retryCount) } : {}),
  };
}

/** The context a built-in runtime hands `handler`, as plain data (it crosses a process boundary). */
export function fcContext(base: FcContext, region: string, accountId: string, credentials: CloudCredentials): FcContext {
  return { ...base, region, accountId, credentials };
}
