import { BudgetExceededError, RateLimitedError } from '../use-cases/guards/guard-errors.ts';
import { describe, expect, it } from 'vitest';
import { UnknownModelError, WrongModelKindError } from '../catalog/catalog.ts';
import {
  DashScopeAbortedError,
  DashScopeAmbiguousError,
  DashScopeApiError,
  DashScopeConnectionError,
  DashScopeError,
  DashScopeResponseError,
  DashScopeStreamError,
  DashScopeTimeoutError,
  missingApiKeyError,
} from '../dashscope/errors.ts';
import { JsonInputError } from '../json/parse-json.ts';
import { TaskConflictError } from '../ports/task-store.ts';
import { ChatRequestError, ConversationBusyError, StructuredOutputError, UpstreamError } from '../use-cases/chat/chat-errors.ts';
import { toUpstreamError } from '../use-cases/chat/upstream-error.ts';
import { IdempotencyKeyReusedError, TaskNotCancelableError, TaskUpstreamError, UnknownTaskError } from '../use-cases/tasks/task-errors.ts';
import { TrainingFileNotFoundError } from '../use-cases/finetune/training-file.ts';
import { ResponseNotFoundError } from '../use-cases/responses/response-errors.ts';
import { UnknownPipelineError } from '../use-cases/pipelines/pipeline-errors.ts';
import { InvalidRequestError, LimitExceededError } from '../validation/request-errors.ts';
import { ERROR_TABLE, toErrorResponse } from './error-table.ts';
import { HttpError } from './errors.ts';

interface Case {
  error: Error;
  status: number;
  code: string;
  /** The message reaches the caller (else it is replaced by one quoting the request id). */
  shown: boolean;
  headers?: Record<string, string>;
  param?: string;
}

const ambiguous = (cause: DashScopeError) =>
  new DashScopeAmbiguousError({ method: 'POST', path: '/api/v1/services/x', sentAt: new Date(0), failedAt: new Date(1), bodySha256: 'x', attempts: 1 }, cause);
const created = (status: number | undefined, code: string, kind: 'rejected' | 'transient' = 'rejected') =>
  kind === 'rejected' ? { kind, status: status ?? 400, code, message: 'no' } : { kind, ...(status !== undefined ? { status } : {}), code, message: 'no' };
const location = { location: '/v1/tasks/task_1' };

/** One case or more per error type the table maps, keyed by that type. */
const CASES = new Map<abstract new (...args: never[]) => Error, Case[]>([
  [HttpError, [{ error: new HttpError(405, 'method_not_allowed', 'no', { headers: { allow: 'GET' } }), status: 405, code: 'method_not_allowed', shown: true, headers: { allow: 'GET' } }]],
  [LimitExceededError, [{ error: new LimitExceededError('too_many_inputs', 'too many', 'input'), status: 413, code: 'too_many_inputs', shown: true, param: 'input' }]],
  [
    InvalidRequestError,
    [
      { error: new InvalidRequestError('invalid_query_parameter', 'bad', 'limit'), status: 400, code: 'invalid_query_parameter', shown: true, param: 'limit' },
      { error: new ChatRequestError('tools_not_supported', 'no tools', 'tools'), status: 400, code: 'tools_not_supported', shown: true, param: 'tools' },
      { error: new JsonInputError('json_too_deep', 'too deep'), status: 400, code: 'json_too_deep', shown: true },
    ],
  ],
  [UnknownModelError, [{ error: new UnknownModelError('gpt-4o', ['qwen-plus']), status: 404, code: 'model_not_found', shown: true }]],
  [WrongModelKindError, [{ error: new WrongModelKindError('qwen-plus', ['embedding'], ['text-embedding-v3']), status: 400, code: 'invalid_model', shown: true }]],
  [ConversationBusyError, [{ error: new ConversationBusyError('c1'), status: 409, code: 'conversation_busy', shown: true, param: 'conversation_id' }]],
  [
    UpstreamError,
    [
      { error: new UpstreamError('refused', 'InvalidParameter', 'no', 'rid', true, 400), status: 400, code: 'InvalidParameter', shown: true, headers: { 'x-dashscope-request-id': 'rid' } },
      { error: new UpstreamError('throttled', 'Throttling', 'slow', undefined, true, 429), status: 429, code: 'Throttling', shown: true },
      { error: new UpstreamError('unavailable', 'ServiceUnavailable', 'down', undefined, true, 503), status: 503, code: 'ServiceUnavailable', shown: true },
      { error: new UpstreamError('unavailable', 'connection_error', 'reset', undefined, false), status: 502, code: 'connection_error', shown: false },
      { error: new UpstreamError('timeout', 'timeout', 'late', undefined, true), status: 504, code: 'timeout', shown: true },
      { error: new UpstreamError('broken', 'stream_truncated', 'cut', undefined, true), status: 502, code: 'stream_truncated', shown: true },
      { error: new UpstreamError('auth', 'upstream_auth_failed', 'key', undefined, true, 401), status: 502, code: 'upstream_auth_failed', shown: true },
      { error: new UpstreamError('quota', 'upstream_quota_exceeded', 'money', undefined, true, 400), status: 502, code: 'upstream_quota_exceeded', shown: true },
      { error: new UpstreamError('canceled', 'aborted', 'gone', undefined, false), status: 499, code: 'aborted', shown: false },
    ],
  ],
  [
    StructuredOutputError,
    [
      { error: new StructuredOutputError('city', 2, '$.population', 'expected int', 'rid'), status: 422, code: 'json_schema_mismatch', shown: true, param: 'response_format', headers: { 'x-dashscope-request-id': 'rid' } },
      { error: new StructuredOutputError('city', 2, '$', 'not JSON', undefined), status: 422, code: 'json_schema_mismatch', shown: true, param: 'response_format' },
    ],
  ],
  [UnknownTaskError, [{ error: new UnknownTaskError('task_x'), status: 404, code: 'task_not_found', shown: true }]],
  [TrainingFileNotFoundError, [{ error: new TrainingFileNotFoundError('inbox/a/x.jsonl'), status: 404, code: 'file_not_found', shown: true, param: 'training_file' }]],
  [UnknownPipelineError, [{ error: new UnknownPipelineError('pipe_x'), status: 404, code: 'pipeline_not_found', shown: true }]],
  [
    ResponseNotFoundError,
    [
      { error: new ResponseNotFoundError('response', 'resp_x', 'previous_response_id'), status: 404, code: 'response_not_found', shown: true, param: 'previous_response_id' },
      { error: new ResponseNotFoundError('item', 'msg_x', 'input.2.id'), status: 404, code: 'item_not_found', shown: true, param: 'input.2.id' },
    ],
  ],
  [
    RateLimitedError,
    [
      { error: new RateLimitedError('tenant-rpm', 17, 'rate limit reached'), status: 429, code: 'rate_limit_exceeded', shown: true, headers: { 'retry-after': '17' } },
      { error: new RateLimitedError('account', 1, "the account's limit"), status: 429, code: 'rate_limit_exceeded', shown: true, headers: { 'retry-after': '1' } },
    ],
  ],
  [BudgetExceededError, [{ error: new BudgetExceededError('tenant', 'month', '2027-01-01T00:00:00.000Z', 'spent'), status: 402, code: 'budget_exceeded', shown: true }]],
  [IdempotencyKeyReusedError, [{ error: new IdempotencyKeyReusedError(), status: 422, code: 'idempotency_key_reused', shown: true, param: 'Idempotency-Key' }]],
  [TaskNotCancelableError, [{ error: new TaskNotCancelableError('task_1', 'RUNNING'), status: 409, code: 'task_not_cancelable', shown: true }]],
  [
    TaskUpstreamError,
    [
      { error: new TaskUpstreamError('create', 'task_1', created(400, 'InvalidParameter')), status: 422, code: 'upstream_rejected', shown: true, headers: location },
      { error: new TaskUpstreamError('create', 'task_1', created(401, 'InvalidApiKey')), status: 502, code: 'upstream_auth_failed', shown: true, headers: location },
      { error: new TaskUpstreamError('create', 'task_1', created(400, 'Arrearage')), status: 502, code: 'upstream_quota_exceeded', shown: true, headers: location },
      { error: new TaskUpstreamError('create', 'task_1', created(429, 'Throttling', 'transient')), status: 502, code: 'upstream_error', shown: false, headers: location },
      { error: new TaskUpstreamError('cancel', 'task_1', created(409, 'Conflict')), status: 502, code: 'upstream_error', shown: false },
      { error: new TaskUpstreamError('cancel', 'task_1', created(500, 'InternalError', 'transient')), status: 503, code: 'upstream_error', shown: false },
    ],
  ],
  [
    DashScopeError,
    [
      { error: new DashScopeApiError(400, 'InvalidParameter', 'bad'), status: 400, code: 'InvalidParameter', shown: true },
      { error: new DashScopeApiError(401, 'InvalidApiKey', 'bad key'), status: 502, code: 'upstream_auth_failed', shown: false },
      { error: new DashScopeApiError(500, 'InternalError', 'at x.java:12'), status: 502, code: 'InternalError', shown: false },
      { error: new DashScopeApiError(504, 'GatewayTimeout', 'late'), status: 504, code: 'GatewayTimeout', shown: false },
      { error: missingApiKeyError(), status: 502, code: 'upstream_auth_failed', shown: false },
      { error: new DashScopeConnectionError('reset', { beforeSend: false }), status: 502, code: 'connection_error', shown: false },
      { error: new DashScopeTimeoutError(100), status: 504, code: 'timeout', shown: false },
      { error: new DashScopeAbortedError(), status: 499, code: 'aborted', shown: false },
      { error: new DashScopeStreamError('stream_interrupted', 'cut'), status: 502, code: 'stream_interrupted', shown: false },
      { error: new DashScopeStreamError('stream_timeout', 'idle'), status: 504, code: 'stream_timeout', shown: false },
      { error: new DashScopeStreamError('Throttling', 'slow', { status: 429 }), status: 429, code: 'Throttling', shown: true },
      { error: new DashScopeResponseError('not JSON', { status: 200 }), status: 502, code: 'invalid_response', shown: false },
      { error: ambiguous(new DashScopeTimeoutError(100)), status: 504, code: 'ambiguous_request', shown: false },
      { error: ambiguous(new DashScopeConnectionError('reset', { beforeSend: false })), status: 502, code: 'ambiguous_request', shown: false },
    ],
  ],
]);

describe('the HTTP error table', () => {
  it('has cases for every error type it maps, and maps every type it has cases for', () => {
    expect(new Set(ERROR_TABLE.map((r) => r.type))).toEqual(new Set(CASES.keys()));
  });

  for (const [type, cases] of CASES) {
    for (const c of cases) {
      it(`answers ${type.name} ${c.error.name}(${(c.error as { code?: string }).code}) with ${c.status} ${c.code}${c.shown ? '' : ', message hidden'}`, () => {
        const { status, body, headers } = toErrorResponse(c.error, 'req-1');
        expect(status).toBe(c.status);
        expect(body.error.code).toBe(c.code);
        expect(body.error.request_id).toBe('req-1');
        expect(body.error.message === 'internal error; quote request id req-1').toBe(!c.shown);
        if (c.shown) expect(body.error.message.length).toBeGreaterThan(0);
        expect(body.error.param).toBe(c.param);
        expect(headers).toEqual(c.headers ?? {});
      });
    }
  }

  it('answers any error it does not map with a 500 that shows nothing of it', () => {
    for (const e of [new Error('secret stack'), new TaskConflictError('t', 1), 'a string', null]) {
      const { status, body } = toErrorResponse(e, 'req-9');
      expect(status).toBe(500);
      expect(body.error).toEqual({ code: 'internal_error', message: 'internal error; quote request id req-9', type: 'api_error', request_id: 'req-9' });
    }
  });

  it('gives the OpenAI error type by status', () => {
    expect(toErrorResponse(new UnknownTaskError('t'), 'r').body.error.type).toBe('not_found_error');
    expect(toErrorResponse(new UpstreamError('throttled', 'x', 'y', undefined, true, 429), 'r').body.error.type).toBe('rate_limit_error');
    expect(toErrorResponse(toUpstreamError(new DashScopeApiError(503, 'x', 'y')), 'r').body.error.type).toBe('api_error');
    expect(toErrorResponse(new RateLimitedError('tenant-tpm', 3, 'x'), 'r').body.error.type).toBe('rate_limit_error');
    expect(toErrorResponse(new BudgetExceededError('global', 'day', 'x', 'y'), 'r').body.error.type).toBe('insufficient_quota');
  });
});
