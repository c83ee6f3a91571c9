// The one place an error becomes an HTTP answer: each error type with its status, public code and headers.
// Anything not in the table is a 500 whose message is never shown.
import { UnknownModelError, WrongModelKindError } from '../catalog/catalog.ts';
import { DashScopeError } from '../dashscope/errors.ts';
import { ConversationBusyError, StructuredOutputError, UpstreamError, type UpstreamProblem } from '../use-cases/chat/chat-errors.ts';
import { toUpstreamError } from '../use-cases/chat/upstream-error.ts';
import { IdempotencyKeyReusedError, TaskNotCancelableError, TaskUpstreamError, UnknownTaskError } from '../use-cases/tasks/task-errors.ts';
import { upstreamAccountFailure } from '../use-cases/upstream-account.ts';
import { BudgetExceededError, RateLimitedError } from '../use-cases/guards/guard-errors.ts';
import { ResponseNotFoundError } from '../use-cases/responses/response-errors.ts';
import { InvalidRequestError, LimitExceededError } from '../validation/request-errors.ts';
import { TrainingFileNotFoundError } from '../use-cases/finetune/training-file.ts';
import { UnknownPipelineError } from '../use-cases/pipelines/pipeline-errors.ts';
import { HttpError } from './errors.ts';

/** How an error is answered: `expose` false replaces the message with one that quotes the request id. */
export interface HttpAnswer {
  status: number;
  code: string;
  message: string;
  expose: boolean;
  param?: string;
  type?: string;
  headers?: Record<string, string>;
}

type Mapper<E> = (e: E) => HttpAnswer;
interface Row<E extends Error> {
  type: abstract new (...args: never[]) => E;
  answer: Mapper<E>;
}
const row = <E extends Error>(type: Row<E>['type'], answer: Mapper<E>): Row<Error> => ({ type, answer: answer as Mapper<Error> });

const taskLocation = (taskId: string) => ({ location: `/v1/tasks/${encodeURIComponent(taskId)}` });

const UPSTREAM_STATUS: Record<UpstreamProblem, (upstreamStatus: number | undefined) => number> = {
  auth: () => 502,
  quota: () => 502,
  refused: (s) => (s !== undefined && s >= 400 && s < 500 ? s : 400),
  throttled: () => 429,
  unavailable: (s) => (s === 503 ? 503 : 502),
  timeout: () => 504,
  broken: () => 502,
  canceled: () => 499,
};

function upstreamAnswer(e: UpstreamError): HttpAnswer {
  const headers = e.dashscopeRequestId ? { 'x-dashscope-request-id': e.dashscopeRequestId } : undefined;
  return { status: UPSTREAM_STATUS[e.problem](e.upstreamStatus), code: e.code, message: e.message, expose: e.expose, ...(headers ? { headers } : {}) };
}

/** A create DashScope refused (the task is FAILED, at Location), or a cancel it refused or failed. */
function taskUpstreamAnswer(e: TaskUpstreamError): HttpAnswer {
  const f = e.failure;
  const headers = e.operation === 'create' ? taskLocation(e.taskId) : {};
  const account = upstreamAccountFailure(f);
  const failed = e.operation === 'create' ? ` Task ${e.taskId} is FAILED.` : '';
  if (account) return { status: 502, code: account.code, message: `${account.message}${failed}`, expose: true, headers };
  if (e.operation === 'create') {
    if (f.kind === 'rejected' && f.status !== undefined && [400, 404, 422].includes(f.status)) {
      return { status: 422, code: 'upstream_rejected', message: `DashScope rejected the task (${f.code}): ${f.message}; task ${e.taskId} is FAILED`, expose: true, headers };
    }
    return { status: 502, code: 'upstream_error', message: `DashScope did not accept task ${e.taskId} (${f.code})`, expose: false, headers };
  }
  return { status: f.kind === 'rejected' ? 502 : 503, code: 'upstream_error', message: `DashScope could not cancel the task (${f.code})`, expose: false };
}

/** Checked in order: a subclass comes before the class it extends. */
export const ERROR_TABLE: readonly Row<Error>[] = [
  row(HttpError, (e) => ({ status: e.statusCode, code: e.code, message: e.message, expose: e.expose, ...(e.extra.param ? { param: e.extra.param } : {}), ...(e.extra.type ? { type: e.extra.type } : {}), ...(e.extra.headers ? { headers: e.extra.headers } : {}) })),
  row(LimitExceededError, (e) => ({ status: 413, code: e.code, message: e.message, expose: true, ...(e.param ? { param: e.param } : {}) })),
  row(InvalidRequestError, (e) => ({ status: 400, code: e.code, message: e.message, expose: true, ...(e.param ? { param: e.param } : {}) })),
  row(UnknownModelError, (e) => ({ status: 404, code: e.code, message: e.message, expose: true })),
  row(WrongModelKindError, (e) => ({ status: 400, code: e.code, message: e.message, expose: true })),
  row(ConversationBusyError, (e) => ({ status: 409, code: e.code, message: e.message, expose: true, param: e.param })),
  row(UpstreamError, upstreamAnswer),
  // the model's answer, not the request, missed the schema: 422 with the path, so the client sees why
  row(StructuredOutputError, (e) => ({ status: 422, code: e.code, message: e.message, expose: true, param: e.param, ...(e.dashscopeRequestId ? { headers: { 'x-dashscope-request-id': e.dashscopeRequestId } } : {}) })),
  row(RateLimitedError, (e) => ({ status: 429, code: e.code, message: e.message, expose: true, headers: { 'retry-after': String(e.retryAfterS) } })),
  row(BudgetExceededError, (e) => ({ status: 402, code: e.code, message: e.message, expose: true, type: 'insufficient_quota' })),
  row(UnknownTaskError, (e) => ({ status: 404, code: e.code, message: e.message, expose: true })),
  row(TrainingFileNotFoundError, (e) => ({ status: 404, code: e.code, message: e.message, expose: true, param: e.param })),
  row(ResponseNotFoundError, (e) => ({ status: 404, code: e.code, message: e.message, expose: true, param: e.param })),
  row(UnknownPipelineError, (e) => ({ status: 404, code: e.code, message: e.message, expose: true })),
  row(IdempotencyKeyReusedError, (e) => ({ status: 422, code: e.code, message: e.message, expose: true, param: e.param })),
  row(TaskNotCancelableError, (e) => ({ status: 409, code: e.code, message: e.message, expose: true })),
  row(TaskUpstreamError, taskUpstreamAnswer),
  // a DashScope failure no use case sorted: the chat use cases' status, but only a 4xx message is shown
  row(DashScopeError, (e) => {
    const a = upstreamAnswer(toUpstreamError(e) as UpstreamError);
    return { ...a, expose: a.expose && a.status < 500 };
  }),
];

const INTERNAL: HttpAnswer = { status: 500, code: 'internal_error', message: 'internal error', expose: false };

export function httpAnswerFor(err: unknown): HttpAnswer {
  if (err instanceof Error) for (const r of ERROR_TABLE) if (err instanceof r.type) return r.answer(err);
  return INTERNAL;
}

/** The public error body: `{"error": {code, message, type, param?, request_id}}`. */
export interface ErrorBody {
  error: { code: string; message: string; type: string; param?: string | null; request_id: string };
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** Any error as the status, body and headers it is answered with; a hidden message quotes the request id. */
export function toErrorResponse(err: unknown, requestId: string): { status: number; body: ErrorBody; headers: Record<string, string> } {
  const a = httpAnswerFor(err);
  const status = a.status >= 400 && a.status <= 599 ? a.status : 500;
  const type = a.type ?? TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  const message = a.expose ? a.message : `internal error; quote request id ${requestId}`;
  return {
    status,
    headers: a.headers ?? {},
    body: { error: { code: a.code, message, type, ...(a.param ? { param: a.param } : {}), request_id: requestId } },
  };
}
