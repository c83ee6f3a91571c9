// cancelTask: DashScope cancels only PENDING tasks. A task not sent yet is canceled here, a PENDING one
// upstream first, anything else gets a 409 saying why; leased meanwhile, so no poller works on it at once.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Task } from '../../domain/task.ts';
import { releaseLease, transitionHeld, type Held } from './lease.ts';
import { TaskNotCancelableError, TaskUpstreamError } from './task-errors.ts';
import { getTaskOr404, type TaskViewer } from './task-queries.ts';
import type { TaskDeps } from './task-deps.ts';
import { classifyUpstreamError } from './upstream-api.ts';
import { isAccountFailure } from '../upstream-account.ts';

/** DashScope's own words for a task that is no longer PENDING. */
export const NOT_PENDING_MESSAGE = 'Failed to cancel the task, please confirm if the task is in PENDING status.';
const CANCEL_LEASE_MS = 30_000;
const LEASE_TRIES = 10;

function notCancelable(task: Pick<Task, 'id' | 'status'>, why: string): TaskNotCancelableError {
  return new TaskNotCancelableError(task.id, task.status, why);
}

function check(task: Task): void {
  if (task.status !== 'QUEUED' && task.status !== 'PENDING') throw notCancelable(task, '');
  // a job DashScope has is canceled through its fine-tune API, which this service does not call yet
  if (task.type === 'fine-tune' && task.status === 'PENDING') throw notCancelable(task, 'and the fine-tune job is at DashScope already');
  if (task.status === 'QUEUED' && task.submitAttemptedAt) throw notCancelable(task, 'and being sent to DashScope, with the outcome not known yet; try again shortly');
}

async function lease(deps: TaskDeps, id: string, owner: string, viewer: TaskViewer): Promise<Held> {
  let task: Task | undefined;
  for (let i = 0; i < LEASE_TRIES; i++) {
    // another tenant's task is unknown here, before anything is leased or changed
    task = await getTaskOr404(deps.tasks, id, viewer);
    check(task);
    const now = deps.clock.now();
    const leased = await deps.tasks.tryLease(id, owner, new Date(now.getTime() + CANCEL_LEASE_MS), now);
    if (leased) {
      check(leased);
      return { task: leased, owner, published: true };
    }
    // A poller's lease lasts one query; a submitter's lasts until DashScope answers.
    await sleep(50 * (i + 1));
  }
  throw notCancelable(task!, 'and being worked on; try again shortly');
}

/** Cancels the task if `viewer` may see it (its tenant's, or any for an admin). */
export async function cancelTask(caller: TaskDeps, id: string, requestId: string, viewer: TaskViewer): Promise<Task> {
  let held = await lease(caller, id, `cancel:${requestId}`, viewer);
  // every line about the task says whose it is (an admin may cancel another tenant's)
  const deps = { ...caller, logger: caller.logger.child({ tenant: held.task.tenant }) };
  const log = deps.logger.child({ taskId: id, requestId });
  try {
    if (held.task.status === 'PENDING') {
      try {
        await deps.dashscope.cancelTask(held.task.dashscopeTaskId!);
      } catch (e) {
        const f = classifyUpstreamError(e);
        // Before the 400 check: an account in arrears is refused with a 400 (Arrearage) too.
        if (f.kind === 'rejected' && !isAccountFailure(f) && (f.code === 'UnsupportedOperation' || f.status === 400)) {
          throw notCancelable(held.task, `here, but DashScope has started it (DashScope: ${f.message || NOT_PENDING_MESSAGE})`);
        }
        log.warn('cancel failed upstream', { code: f.code });
        throw new TaskUpstreamError('cancel', held.task.id, f, { cause: e });
      }
    }
    held = await transitionHeld(deps, held, 'CANCELED', { dueAt: held.task.leaseUntil });
    log.info('task canceled');
  } catch (e) {
    await releaseLease(deps, held).catch((err: unknown) => log.warn('could not release the lease; it will expire', { err }));
    throw e;
  }
  return (await releaseLease(deps, held)) ?? held.task;
}
