// Settles a create whose outcome is unknown (ambiguous failure, or a crash after the attempt was recorded)
// without re-sending it: finds it in DashScope's task list, adopted only if exactly one match is unowned.
import type { TaskError } from '../../domain/task.ts';
import { nextPollAt, retryDelayMs } from './backoff.ts';
import { adoptUpstream } from './send-create.ts';
import { findJobsOf } from './fine-tune-job.ts';
import type { UpstreamListedTask } from '../../ports/task-upstream.ts';
import { classifyUpstreamError } from './upstream-api.ts';
import { releaseLease, transitionHeld, type Held } from './lease.ts';
import type { Pacer } from './rate-limiter.ts';
import { step, upstreamClaimKey, UPSTREAM_CLAIM_HASH, type TaskDeps, type TaskTimings } from './task-deps.ts';

export type ReconcileOutcome = 'waiting' | 'adopted' | 'ambiguous' | 'retry-later' | 'gave-up';

/** `YYYYMMDDhhmmss` in UTC+8, the list endpoint's time format. */
export function listTime(d: Date): string {
  const t = new Date(d.getTime() + 8 * 3_600_000).toISOString();
  return t.slice(0, 19).replace(/[-T:]/g, '');
}

const PAGE_SIZE = 100;
const MAX_PAGES = 10;
/** Clocks differ: look a little before the attempt, and query a wider window than we match. */
const SKEW_MS = 30_000;

async function listCandidates(deps: TaskDeps, model: string, attempt: Date, t: TaskTimings, pacer: Pacer, signal?: AbortSignal): Promise<UpstreamListedTask[]> {
  const from = attempt.getTime() - SKEW_MS;
  const to = attempt.getTime() + t.reconcileWindowMs;
  const found: UpstreamListedTask[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    await pacer.take(signal);
    const res = await deps.dashscope.listTasks(
      { model_name: model, start_time: listTime(new Date(from - 5 * 60_000)), end_time: listTime(new Date(to + 5 * 60_000)), page_no: page, page_size: PAGE_SIZE },
      signal ? { signal } : {},
    );
    for (const item of res.data ?? []) {
      const created = Number(item.gmt_create);
      if (item.model_name && item.model_name !== model) continue;
      if (Number.isFinite(created) && (created < from || created > to)) continue;
      found.push(item);
    }
    if (!res.data?.length || page >= (res.total_page ?? page)) break;
  }
  const distance = (c: UpstreamListedTask) => Math.abs(Number(c.gmt_create) - attempt.getTime()) || 0;
  return found.sort((a, b) => distance(a) - distance(b));
}

/** Reconciles `held` (QUEUED, attempt recorded, lease ours) and releases the lease. */
export async function reconcileSubmission(deps: TaskDeps, held: Held, t: TaskTimings, pacer: Pacer, signal?: AbortSignal): Promise<ReconcileOutcome> {
  const task = held.task;
  const log = deps.logger.child({ taskId: task.id });
  const attempt = new Date(task.submitAttemptedAt ?? task.createdAt);
  const now = deps.clock.now();
  const readyAt = attempt.getTime() + t.reconcileAfterMs;
  if (now.getTime() < readyAt) {
    await releaseLease(deps, held, { dueAt: new Date(readyAt).toISOString() });
    return 'waiting';
  }

  let candidates: UpstreamListedTask[];
  try {
    if (task.type === 'fine-tune') {
      // a job carries the task id as its name: exactly the jobs this create may have made
      await pacer.take(signal);
      candidates = (await findJobsOf(deps, task.id, signal ? { signal } : {})).map((j) => ({ task_id: j.job_id }));
    } else {
      candidates = await listCandidates(deps, task.model, attempt, t, pacer, signal);
    }
  } catch (e) {
    const failure = classifyUpstreamError(e);
    if (now.getTime() - attempt.getTime() < t.reconcileGiveUpMs) {
      log.warn('could not list DashScope tasks to reconcile; will retry', { code: failure.code });
      const attempts = task.pollCount + 1;
      await releaseLease(deps, held, { pollCount: attempts, dueAt: new Date(now.getTime() + retryDelayMs(t.retryBaseMs, attempts, 60_000, t.random)).toISOString() });
      return 'retry-later';
    }
    const error: TaskError = {
      code: 'SubmissionAmbiguous',
      message: `the create request was sent at ${attempt.toISOString()} but its outcome is unknown and DashScope's task list could not be read (${failure.code}); the task may exist upstream`,
    };
    await releaseLease(deps, await transitionHeld(deps, held, 'FAILED', { error }));
    return 'gave-up';
  }

  // Claim candidates nearest the attempt first; two claimable candidates make the answer ambiguous.
  const ours: UpstreamListedTask[] = [];
  for (const c of candidates) {
    const claim = await deps.tasks.putIdempotencyKey({ key: upstreamClaimKey(c.task_id), taskId: task.id, requestHash: UPSTREAM_CLAIM_HASH, createdAt: now.toISOString() });
    if (!claim || claim.taskId === task.id) ours.push(c);
    if (ours.length > 1) break;
  }
  await step(deps, 'poll:reconcile-claimed', task.id);

  if (ours.length === 1) {
    const adopted = ours[0]!;
    log.info('adopted the upstream task of an ambiguous create', { dashscopeTaskId: adopted.task_id });
    const next = await adoptUpstream(deps, held, adopted.task_id, undefined, nextPollAt(now, task.type, 0, t), t.leaseMs);
    await releaseLease(deps, next);
    return 'adopted';
  }
  const error: TaskError = {
    code: 'SubmissionAmbiguous',
    message:
      ours.length === 0
        ? `the create request was sent at ${attempt.toISOString()} but its outcome is unknown and no matching DashScope task was found; it may still exist upstream (not re-sent to avoid a duplicate)`
        : `the create request was sent at ${attempt.toISOString()} but its outcome is unknown and several DashScope tasks match; one of them may be this task (not re-sent to avoid a duplicate)`,
  };
  log.warn('ambiguous create could not be reconciled', { candidates: candidates.length });
  await releaseLease(deps, await transitionHeld(deps, held, 'FAILED', { error }));
  return 'ambiguous';
}
