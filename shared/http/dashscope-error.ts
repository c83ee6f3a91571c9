// DashScope's native error shape, `{code, message, request_id}`, for the native paths (`/api/v1/...`): the
// same error table decides status and message; only the body is what a DashScope client parses.
import { httpAnswerFor, toErrorResponse } from './error-table.ts';

/** How an error body is shaped: OpenAI's `{error:{…}}` or DashScope's native `{code, message, request_id}`. */
export type ErrorShape = 'openai' | 'dashscope';

/** DashScope's native paths: their errors are answered in DashScope's shape, whichever function serves them. */
export const NATIVE_PATH_PREFIX = '/api/v1/';

export function errorShapeOf(path: string): ErrorShape {
  return path.startsWith(NATIVE_PATH_PREFIX) ? 'dashscope' : 'openai';
}

export interface DashScopeErrorBody {
  code: string;
  message: string;
  request_id: string;
}

/** Our codes that have a DashScope code of their own; any other is named by its status (DashScope's codes, spec §7). */
const NATIVE_CODE_BY_CODE: Readonly<Record<string, string>> = {
  model_not_found: 'ModelNotFound',
  invalid_json: 'BadRequest.IllegalInput',
  json_too_deep: 'BadRequest.IllegalInput',
  unsupported_media_type: 'BadRequest.IllegalInput',
  task_not_cancelable: 'UnsupportedOperation',
  budget_exceeded: 'Arrearage',
};

const NATIVE_CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'InvalidParameter',
  401: 'InvalidApiKey',
  402: 'Arrearage',
  403: 'AccessDenied',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'UnsupportedOperation',
  413: 'InvalidParameter',
  415: 'BadRequest.IllegalInput',
  422: 'InvalidParameter',
  429: 'Throttling.RateQuota',
  499: 'RequestCanceled',
  502: 'InternalError',
  503: 'ModelUnavailable',
  504: 'RequestTimeOut',
};

/** Any error as DashScope answers it: the error table's status, message and headers, DashScope's body. */
export function toDashScopeErrorResponse(err: unknown, requestId: string): { status: number; body: DashScopeErrorBody; headers: Record<string, string> } {
  const { status, body, headers } = toErrorResponse(err, requestId);
  const code = NATIVE_CODE_BY_CODE[httpAnswerFor(err).code] ?? NATIVE_CODE_BY_STATUS[status] ?? (status >= 500 ? 'InternalError' : 'InvalidParameter');
  return { status, headers, body: { code, message: body.error.message, request_id: requestId } };
}
