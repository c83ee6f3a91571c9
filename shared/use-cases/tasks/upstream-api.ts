// The one place that sorts the task upstream's failures into what a task use case must do about them, and
// the create body a task row becomes.
import type { Task } from '../../domain/task.ts';
import type { CreateTaskBody } from '../../ports/task-upstream.ts';
import {
  DashScopeAmbiguousError,
  DashScopeApiError,
  DashScopeConnectionError,
  DashScopeError,
  DashScopeResponseError,
} from '../../dashscope/errors.ts';

/**
 * What a failed call means for the task:
 * - `ambiguous`: a create was sent and its outcome is unknown; it must never be re-sent blindly;
 * - `rejected`: DashScope answered a definite, non-retryable error (4xx other than 408/409/429, and arrears or
 *   quota at any 4xx status: shared/dashscope/failure-kind.ts), or a create
 *   cannot be sent at all because no DashScope key is configured (no status then);
 * - `transient`: throttled, 5xx, timeouts, connection failures after the client's own retries: try later.
 */
export type UpstreamFailure =
  | { kind: 'ambiguous'; code: string; message: string }
  | { kind: 'rejected'; status?: number; code: string; message: string; requestId?: string }
  | { kind: 'transient'; status?: number; code: string; message: string };

/**
 * Sorts a failed call. `create`: the call was a task create, where an unreadable 2xx answer means the task
 * was probably made, so it is ambiguous too.
 */
export function classifyUpstreamError(err: unknown, call: 'create' | 'other' = 'other'): UpstreamFailure {
  if (err instanceof DashScopeAmbiguousError) return { kind: 'ambiguous', code: err.code, message: err.message };
  if (call === 'create' && err instanceof DashScopeResponseError && err.status !== undefined && err.status < 300) {
    return { kind: 'ambiguous', code: err.code, message: err.message };
  }
  // No key: trying again later cannot help until the operator configures one (and restarts).
  if (call === 'create' && err instanceof DashScopeError && err.code === 'missing_api_key') return { kind: 'rejected', code: err.code, message: err.message };
  // A create that failed without an HTTP answer may have reached DashScope unless it certainly did not.
  if (call === 'create' && err instanceof DashScopeError && err.status === undefined && err.code !== 'missing_api_key' && !(err instanceof DashScopeConnectionError && err.beforeSend)) {
    return { kind: 'ambiguous', code: err.code, message: err.message };
  }
  // not retryable: any other 4xx, and the account's arrears or quota whatever their status
  if (err instanceof DashScopeApiError && err.status < 500 && !err.retryable) {
    return { kind: 'rejected', status: err.status, code: err.code, message: err.message, ...(err.requestId ? { requestId: err.requestId } : {}) };
  }
  if (err instanceof DashScopeError) return { kind: 'transient', ...(err.status !== undefined ? { status: err.status } : {}), code: err.code, message: err.message };
  return { kind: 'transient', code: 'UpstreamError', message: err instanceof Error ? err.message : String(err) };
}

/** The create body DashScope receives for a task row. */
export function createBodyOf(task: Pick<Task, 'model' | 'input' | 'parameters'>): CreateTaskBody {
  return { model: task.model, input: task.input, parameters: task.parameters };
}
