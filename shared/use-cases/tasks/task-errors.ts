// The task use cases' errors, in the domain's words. None says how to answer: the HTTP edge maps each to a
// status and code in one table (shared/http/error-table.ts), an event trigger to "retry" or "never valid".
import type { TaskStatus } from '../../domain/task.ts';
import { clip } from '../../text/clip.ts';
import type { UpstreamFailure } from './upstream-api.ts';

/** No task with this id (or an id that cannot be one). */
export class UnknownTaskError extends Error {
  override name = 'UnknownTaskError';
  readonly code = 'task_not_found';
  constructor(readonly taskId: string) {
    super(`no task with id '${clip(taskId)}'`);
  }
}

/** An Idempotency-Key already used with a different request. */
export class IdempotencyKeyReusedError extends Error {
  override name = 'IdempotencyKeyReusedError';
  readonly code = 'idempotency_key_reused';
  readonly param = 'Idempotency-Key';
  constructor() {
    super('this Idempotency-Key was already used with a different request; use a new key for a new request');
  }
}

/** Said in every refusal to cancel, so the caller knows what could have been canceled without reading the docs. */
export const CANCELABLE_STATUSES = 'only QUEUED tasks not yet sent to DashScope and PENDING tasks can be canceled';

/** The task is in a status (or a moment) where it cannot be canceled. */
export class TaskNotCancelableError extends Error {
  override name = 'TaskNotCancelableError';
  readonly code = 'task_not_cancelable';
  constructor(
    readonly taskId: string,
    readonly status: TaskStatus,
    why = '',
  ) {
    super(`task ${taskId} is ${status}${why ? ` ${why}` : ''}; ${CANCELABLE_STATUSES}`);
  }
}

/**
 * DashScope refused or failed a call made for a task the caller asked about: a create (the task is FAILED,
 * at `taskId`) or a cancel (the task is unchanged).
 */
export class TaskUpstreamError extends Error {
  override name = 'TaskUpstreamError';
  constructor(
    readonly operation: 'create' | 'cancel',
    readonly taskId: string,
    readonly failure: UpstreamFailure,
    options?: { cause?: unknown },
  ) {
    super(`DashScope ${operation === 'create' ? 'did not accept' : 'could not cancel'} task ${taskId} (${failure.code}): ${failure.message}`, options);
  }
}
