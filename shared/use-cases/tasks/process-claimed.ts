// What poll-task does with one task it has just claimed, by status: submit or reconcile a QUEUED task, poll
// a PENDING/RUNNING one, re-drive a SUCCEEDED one, and clear a terminal one that is still scheduled.
import { isTerminal, type Task } from '../../domain/task.ts';
import { recoverEvidence, releaseLease, type Held } from './lease.ts';
import { pollUpstream } from './poll-upstream.ts';
import type { Pacer } from './rate-limiter.ts';
import { reconcileSubmission } from './reconcile-submission.ts';
import { redriveSucceeded } from './redrive.ts';
import { sendCreate } from './send-create.ts';
import { synthesizeSpeech } from './synthesize-speech.ts';
import { step, type TaskDeps, type TaskTimings } from './task-deps.ts';

export interface ProcessContext {
  owner: string;
  timings: TaskTimings;
  pacer: Pacer;
  queryTimeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Handles `leased` (the row as our tryLease left it; `previous` is the row as listed before, which tells
 * whether an earlier holder stopped mid-way). Always ends by releasing the lease. Returns what happened.
 */
export async function processClaimed(deps: TaskDeps, previous: Task, leased: Task, ctx: ProcessContext): Promise<string> {
  const held: Held = { task: leased, owner: ctx.owner, published: true };
  await step(deps, 'poll:leased', leased.id);
  await recoverEvidence(deps, previous, leased);
  const t = ctx.timings;

  if (isTerminal(leased.status)) {
    await releaseLease(deps, held);
    return 'cleared';
  }
  // a speech task is synthesised part by part here (it has no DashScope task to poll or reconcile)
  if (leased.type === 'text-to-speech' && (leased.status === 'QUEUED' || leased.status === 'RUNNING')) {
    // half the lease: a part started near its end still finishes within the lease its attempt extends
    return `speech-${(await synthesizeSpeech(deps, held, t, Math.min(t.speechBudgetMs, t.leaseMs / 2))).kind}`;
  }
  switch (leased.status) {
    case 'QUEUED':
      if (leased.submitAttemptedAt) return `reconcile-${await reconcileSubmission(deps, held, t, ctx.pacer, ctx.signal)}`;
      return `submit-${(await sendCreate(deps, held, t)).kind}`;
    case 'PENDING':
    case 'RUNNING':
      if (!leased.dashscopeTaskId) {
        // Cannot happen through the use cases (PENDING is written with the id); keep it visible, not busy.
        deps.logger.error('task has no DashScope task id', { taskId: leased.id, status: leased.status });
        await releaseLease(deps, held, { dueAt: undefined });
        return 'broken';
      }
      return pollUpstream(deps, held, t, ctx.pacer, { queryTimeoutMs: ctx.queryTimeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    case 'SUCCEEDED':
      return redriveSucceeded(deps, held, t);
    default:
      await releaseLease(deps, held);
      return 'cleared';
  }
}

/** After an unexpected error: give the task back (retry soon) if we still hold it. */
export async function releaseAfterError(deps: TaskDeps, taskId: string, owner: string, retryAt: Date): Promise<void> {
  const task = await deps.tasks.get(taskId);
  if (!task || task.leaseOwner !== owner) return;
  await releaseLease(deps, { task, owner, published: true }, { dueAt: isTerminal(task.status) ? undefined : retryAt.toISOString() });
}
