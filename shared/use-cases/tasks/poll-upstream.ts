// One poll of a PENDING/RUNNING task: ask DashScope, then reschedule with the type's backoff, or settle it.
// On SUCCEEDED the manifest is written first and the task marked SUCCEEDED after.
import { taskCost } from '../../catalog/pricing.ts';
import { fromMicros } from '../../domain/ledger.ts';
import { manifestKey } from '../../domain/manifest.ts';
import { hasMediaOutputs, type Task, type TaskError } from '../../domain/task.ts';
import { nextPollAt } from './backoff.ts';
import { buildManifest, putManifest } from './manifest-writer.ts';
import { releaseLease, transitionHeld, type Held } from './lease.ts';
import type { Pacer } from './rate-limiter.ts';
import { step, type TaskDeps, type TaskTimings } from './task-deps.ts';
import type { UpstreamTask } from '../../ports/task-upstream.ts';
import { classifyUpstreamError } from './upstream-api.ts';
import { getFineTuneAsTask } from './fine-tune-job.ts';
import { finishedAt, outputsFromUpstream, RESULT_TTL_MS } from './upstream-result.ts';

export type PollOutcome = 'in-progress' | 'succeeded' | 'failed' | 'canceled' | 'expired' | 'query-failed';

export interface PollCallOptions {
  queryTimeoutMs: number;
  signal?: AbortSignal;
}

/** Settles `held` as terminal: the status write keeps the lease (and a dueAt), the release clears both. */
async function settle(deps: TaskDeps, held: Held, to: 'FAILED' | 'CANCELED' | 'EXPIRED', error: TaskError, extra: Partial<Task> = {}): Promise<void> {
  const next = await transitionHeld(deps, held, to, { ...extra, error, dueAt: held.task.leaseUntil });
  await step(deps, 'poll:transitioned', held.task.id);
  await releaseLease(deps, next);
}

/**
 * A task whose result is a name, not media (a fine-tune's model id): recorded with SUCCEEDED, then PERSISTED
 * at once, since there is nothing to copy and no manifest to write (domain/task.ts, RESULT_ONLY_TYPES).
 */
async function succeedWithResult(deps: TaskDeps, held: Held, upstream: UpstreamTask): Promise<PollOutcome> {
  const task = held.task;
  const usage = upstream.usage ?? undefined;
  const model = upstream.output.finetuned_output;
  if (!model) {
    await settle(deps, held, 'FAILED', { code: 'NoResults', message: 'DashScope reported SUCCEEDED without the fine-tuned model id' }, usage ? { usage } : {});
    return 'failed';
  }
  const priced = taskCost(task, usage);
  const cost = priced ? { amount: fromMicros(priced.micros), currency: 'CNY' as const } : undefined;
  const succeeded = await transitionHeld(deps, held, 'SUCCEEDED', { fineTunedModel: model, ...(usage ? { usage } : {}), ...(cost ? { cost } : {}), pollCount: 0 });
  await step(deps, 'poll:transitioned', task.id);
  // a crash here leaves it SUCCEEDED: the re-drive finishes it (redrive.ts)
  const persisted = await transitionHeld(deps, succeeded, 'PERSISTED', { dueAt: held.task.leaseUntil });
  await releaseLease(deps, persisted);
  return 'succeeded';
}

async function succeed(deps: TaskDeps, held: Held, upstream: UpstreamTask, t: TaskTimings): Promise<PollOutcome> {
  const task = held.task;
  if (!hasMediaOutputs(task.type)) return succeedWithResult(deps, held, upstream);
  const now = deps.clock.now();
  const outputs = outputsFromUpstream(task.type, upstream, now);
  const usage = upstream.usage ?? undefined;
  if (outputs.length === 0) {
    await settle(deps, held, 'FAILED', { code: 'NoResults', message: 'DashScope reported SUCCEEDED without any result' }, usage ? { usage } : {});
    return 'failed';
  }
  const draft: Task = { ...task, outputs, ...(usage ? { usage } : {}) };
  const existed = (await deps.objects.head(manifestKey(task.id))) !== undefined;
  const manifest = buildManifest(draft, finishedAt(upstream, now));
  // manifest first: a crash before the transition leaves a manifest whose task is still RUNNING, which the
  // next poll completes
  await putManifest(deps.objects, manifest);
  await step(deps, 'poll:manifest-written', task.id);

  const priced = taskCost(task, usage);
  const cost = priced ? { amount: fromMicros(priced.micros), currency: 'CNY' as const } : undefined;
  const next = await transitionHeld(deps, held, 'SUCCEEDED', {
    outputs,
    ...(usage ? { usage } : {}),
    ...(cost ? { cost } : {}),
    pollCount: 0,
    dueAt: new Date(now.getTime() + t.redriveAfterMs).toISOString(),
  });
  await step(deps, 'poll:transitioned', task.id);
  // A manifest that was already there was written by a poll that died before this transition: its event may
  // have reached persist-to-oss while the task was not SUCCEEDED yet. Writing it again fires a fresh one.
  if (existed) await putManifest(deps.objects, manifest);
  await releaseLease(deps, next);
  return 'succeeded';
}

const ageText = (ms: number) => (ms < 2 * 3_600_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 3_600_000)} h`);

/**
 * DashScope forgets a task after its retention, so UNKNOWN for an older task means it expired; for a younger
 * one it means DashScope never had or lost it (e.g. a restarted emulator), which is a failure, not an expiry.
 */
async function settleUnknown(deps: TaskDeps, held: Held): Promise<PollOutcome> {
  const age = deps.clock.now().getTime() - new Date(held.task.createdAt).getTime();
  if (age > RESULT_TTL_MS) {
    await settle(deps, held, 'EXPIRED', { code: 'TaskUnknown', message: `DashScope no longer knows this task: it is older than 24 hours (created ${ageText(age)} ago)` });
    return 'expired';
  }
  await settle(deps, held, 'FAILED', { code: 'TaskUnknown', message: `DashScope does not know this task id (created ${ageText(age)} ago)` });
  return 'failed';
}

/** Polls `held` (PENDING or RUNNING with a DashScope task id, lease ours) and releases the lease. */
export async function pollUpstream(deps: TaskDeps, held: Held, t: TaskTimings, pacer: Pacer, opts: PollCallOptions): Promise<PollOutcome> {
  const task = held.task;
  const log = deps.logger.child({ taskId: task.id, dashscopeTaskId: task.dashscopeTaskId });
  const now = () => deps.clock.now();
  let upstream: UpstreamTask;
  try {
    await pacer.take(opts.signal);
    const callOpts = { timeoutMs: opts.queryTimeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) };
    upstream = task.type === 'fine-tune' ? await getFineTuneAsTask(deps, task.dashscopeTaskId!, callOpts) : await deps.dashscope.getTask(task.dashscopeTaskId!, callOpts);
  } catch (e) {
    const failure = classifyUpstreamError(e);
    if (now().getTime() - new Date(task.createdAt).getTime() > t.maxUpstreamAgeMs) {
      await settle(deps, held, 'EXPIRED', { code: 'UpstreamUnreachable', message: `DashScope did not report a result before the task aged out (last error ${failure.code}: ${failure.message})` });
      return 'expired';
    }
    // Our key or DashScope failing is not the task's fault: back off and keep asking.
    (failure.kind === 'rejected' ? log.error : log.warn)('task query failed; will retry', { code: failure.code, status: 'status' in failure ? failure.status : undefined });
    const pollCount = task.pollCount + 1;
    await releaseLease(deps, held, { pollCount, dueAt: nextPollAt(now(), task.type, pollCount, t).toISOString() });
    return 'query-failed';
  }
  await step(deps, 'poll:queried', task.id);

  const status = upstream.output.task_status;
  const reason = (fallbackCode: string, fallback: string): TaskError => ({ code: upstream.output.code ?? fallbackCode, message: upstream.output.message ?? fallback });
  switch (status) {
    case 'SUCCEEDED':
      return succeed(deps, held, upstream, t);
    case 'FAILED':
      await settle(deps, held, 'FAILED', reason('TaskFailed', 'DashScope reported the task FAILED'), upstream.usage ? { usage: upstream.usage } : {});
      return 'failed';
    case 'CANCELED':
      await settle(deps, held, 'CANCELED', reason('Canceled', 'the task was canceled upstream'));
      return 'canceled';
    case 'UNKNOWN':
      return settleUnknown(deps, held);
    default: {
      if (status !== 'PENDING' && status !== 'RUNNING' && status !== 'SUSPENDED') log.warn('unexpected task status; treating it as in progress', { upstreamStatus: status });
      const pollCount = task.pollCount + 1;
      const patch = { pollCount, dueAt: nextPollAt(now(), task.type, pollCount, t).toISOString() };
      if (status === 'RUNNING' && task.status === 'PENDING') {
        const next = await transitionHeld(deps, held, 'RUNNING', patch);
        await step(deps, 'poll:transitioned', task.id);
        await releaseLease(deps, next);
      } else {
        await releaseLease(deps, held, patch);
      }
      return 'in-progress';
    }
  }
}
