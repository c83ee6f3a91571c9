// DashScope's error envelopes: compatible mode `{"error":{code,param,message,type},request_id}`, native
// `{request_id,code,message}` (also as an SSE `event:error` frame), and OSS's XML for result downloads.

/** The error kinds the emulator answers, with their native and compatible-mode codes (spec §7). */
export const ERROR_KINDS = {
  invalidParameter: { status: 400, native: 'InvalidParameter', compat: 'invalid_parameter_error', type: 'invalid_request_error' },
  unsupportedOperation: { status: 400, native: 'UnsupportedOperation', compat: 'invalid_parameter_error', type: 'invalid_request_error' },
  invalidApiKey: { status: 401, native: 'InvalidApiKey', compat: 'invalid_api_key', type: 'invalid_request_error' },
  accessDenied: { status: 403, native: 'AccessDenied', compat: 'access_denied', type: 'invalid_request_error' },
  modelNotFound: { status: 404, native: 'ModelNotFound', compat: 'model_not_found', type: 'invalid_request_error' },
  notFound: { status: 404, native: 'NotFound', compat: 'not_found', type: 'invalid_request_error' },
  payloadTooLarge: { status: 413, native: 'InvalidParameter', compat: 'invalid_parameter_error', type: 'invalid_request_error' },
  rateQuota: { status: 429, native: 'Throttling.RateQuota', compat: 'limit_requests', type: 'limit_requests' },
  allocationQuota: { status: 429, native: 'Throttling.AllocationQuota', compat: 'insufficient_quota', type: 'insufficient_quota' },
  internal: { status: 500, native: 'InternalError', compat: 'internal_error', type: 'internal_error' },
  unavailable: { status: 503, native: 'ModelUnavailable', compat: 'model_unavailable', type: 'internal_error' },
} as const;
export type ErrorKind = keyof typeof ERROR_KINDS;

export const MESSAGES = {
  invalidKeyNative: 'Invalid API-key provided.',
  invalidKeyCompat: 'Incorrect API key provided.',
  rateQuota: 'Requests rate limit exceeded, please try again later.',
  allocationQuotaNative: 'Allocated quota exceeded, please increase your quota limit.',
  allocationQuotaCompat: 'You exceeded your current quota, please check your plan and billing details.',
  internal: 'An internal error has occured, please try again later or contact service support.',
  unavailable: 'Model is unavailable, please try again later.',
  modelNotExist: 'Model not exist.',
  syncNotSupported: 'current user api does not support synchronous calls',
  cancelNotPending: 'Failed to cancel the task, please confirm if the task is in PENDING status.',
} as const;

export const modelNotFoundMessage = (model: string) => `The model \`${model}\` does not exist or you do not have access to it.`;

/** An error the emulator answers with; the surface (compat/native/results) decides the envelope. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly nativeCode: string;
  readonly compatCode: string;
  readonly compatType: string;
  constructor(
    kind: ErrorKind,
    message: string,
    readonly extra: { compatMessage?: string; status?: number; nativeCode?: string; compatCode?: string; param?: string; ossFields?: Record<string, string> } = {},
  ) {
    super(message);
    const k = ERROR_KINDS[kind];
    this.status = extra.status ?? k.status;
    this.nativeCode = extra.nativeCode ?? k.native;
    this.compatCode = extra.compatCode ?? k.compat;
    this.compatType = k.type;
  }
}

export const invalidParameter = (message: string, param?: string) =>
  new ApiError('invalidParameter', message, param === undefined ? {} : { param });

export function compatErrorBody(err: ApiError, requestId: string, withChatId: boolean): Record<string, unknown> {
  return {
    error: { code: err.compatCode, param: err.extra.param ?? null, message: err.extra.compatMessage ?? err.message, type: err.compatType },
    ...(withChatId ? { id: `chatcmpl-${requestId}` } : {}),
    request_id: requestId,
  };
}

export function nativeErrorBody(err: ApiError, requestId: string): Record<string, unknown> {
  return { request_id: requestId, code: err.nativeCode, message: err.message };
}

/** Native streaming error frame, as DashScope sends it inside `text/event-stream`. */
export function nativeSseErrorFrame(err: ApiError, requestId: string, id = 1): string {
  return `id:${id}\nevent:error\n:HTTP_STATUS/${err.status}\ndata:${JSON.stringify(nativeErrorBody(err, requestId))}\n\n`;
}

/** The error a `status` fault answers: DashScope's own code and message for that status. */
export function errorForStatus(status: number, code?: string, message?: string): ApiError {
  const kind: ErrorKind =
    status === 429 ? 'rateQuota'
    : status === 401 ? 'invalidApiKey'
    : status === 403 ? 'accessDenied'
    : status === 404 ? 'notFound'
    : status === 503 ? 'unavailable'
    : status >= 500 ? 'internal'
    : 'invalidParameter';
  const defaults: Record<ErrorKind, string> = {
    invalidParameter: 'Injected fault.',
    unsupportedOperation: 'Injected fault.',
    invalidApiKey: MESSAGES.invalidKeyNative,
    accessDenied: 'Access denied.',
    modelNotFound: 'Model not found.',
    notFound: 'Not found.',
    payloadTooLarge: 'Request body too large.',
    rateQuota: MESSAGES.rateQuota,
    allocationQuota: MESSAGES.allocationQuotaNative,
    internal: MESSAGES.internal,
    unavailable: MESSAGES.unavailable,
  };
  return new ApiError(kind, message ?? defaults[kind], {
    status,
    ...(code ? { nativeCode: code, compatCode: code } : {}),
    ...(kind === 'invalidApiKey' && !message ? { compatMessage: MESSAGES.invalidKeyCompat } : {}),
  });
}

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** OSS-style XML error body for result URLs. */
export function ossErrorXml(code: string, message: string, requestId: string, host: string, extra: Record<string, string> = {}): string {
  const fields = { Code: code, Message: message, RequestId: requestId, HostId: host, ...extra };
  const inner = Object.entries(fields).map(([k, v]) => `  <${k}>${xmlEscape(v)}</${k}>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n${inner}\n</Error>\n`;
}
