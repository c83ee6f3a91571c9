// Re-driving a task left SUCCEEDED but not PERSISTED: its manifest is written again (the rewrite is a new
// OSS event for persist-to-oss), with growing gaps, until the result URLs expire; then the task is EXPIRED.
import { hasMediaOutputs, type Task } from '../../domain/task.ts';
import { retryDelayMs } from './backoff.ts';
import { buildManifest, putManifest, readManifest } from './manifest-writer.ts';
import { releaseLease, transitionHeld, type Held } from './lease.ts';
import { step, type TaskDeps, type TaskTimings } from './task-deps.ts';

export type RedriveOutcome = 'redriven' | 'expired' | 'persisted';

const MAX_REDRIVE_GAP_MS = 30 * 60_000;

/** Outputs still waiting to be copied, with the time their URL stops working. */
function pendingCopies(task: Task): { index: number; expiresAt: number }[] {
  return task.outputs
    .filter((o) => o.sourceUrl && !o.key && !o.error)
    .map((o) => ({ index: o.index, expiresAt: o.sourceExpiresAt ? new Date(o.sourceExpiresAt).getTime() : Number.POSITIVE_INFINITY }));
}

/** Handles `held` (SUCCEEDED, due for a re-drive, lease ours) and releases the lease. */
export async function redriveSucceeded(deps: TaskDeps, held: Held, t: TaskTimings): Promise<RedriveOutcome> {
  const task = held.task;
  const log = deps.logger.child({ taskId: task.id });
  const now = deps.clock.now().getTime();
  if (!hasMediaOutputs(task.type)) {
    // its result is already on the row (a poll stopped between SUCCEEDED and PERSISTED): nothing to copy
    const next = await transitionHeld(deps, held, 'PERSISTED', { dueAt: task.leaseUntil });
    await step(deps, 'poll:transitioned', task.id);
    await releaseLease(deps, next);
    return 'persisted';
  }
  const pending = pendingCopies(task);
  const live = pending.filter((p) => p.expiresAt > now);

  if (pending.length > 0 && live.length === 0) {
    log.error('results expired before they were copied', { outputs: pending.map((p) => p.index) });
    const next = await transitionHeld(deps, held, 'EXPIRED', {
      error: { code: 'ResultsExpired', message: 'the result URLs expired before the results could be copied to storage' },
      dueAt: task.leaseUntil,
    });
    await step(deps, 'poll:transitioned', task.id);
    await releaseLease(deps, next);
    return 'expired';
  }

  const manifest = (await readManifest(deps.objects, task.id)) ?? buildManifest(task, new Date(task.updatedAt));
  await putManifest(deps.objects, manifest);
  log.warn('task still not persisted; manifest written again', { redrives: task.pollCount + 1 });
  await step(deps, 'poll:redrive-written', task.id);

  const redrives = task.pollCount + 1;
  let dueAt = now + retryDelayMs(t.redriveAfterMs, redrives, MAX_REDRIVE_GAP_MS, t.random);
  // Look again right after the last URL expires, to settle the task as soon as nothing can be copied.
  const lastExpiry = Math.max(...live.map((p) => p.expiresAt));
  if (Number.isFinite(lastExpiry) && lastExpiry < dueAt) dueAt = lastExpiry + 1_000;
  await releaseLease(deps, held, { pollCount: redrives, dueAt: new Date(dueAt).toISOString() });
  return 'redriven';
}
