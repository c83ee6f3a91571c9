// Sending a QUEUED task's create to DashScope, once: the attempt is recorded on the row before the request
// goes out, so a crash or an ambiguous failure leaves a task that is reconciled, never re-sent blindly.
import type { TaskError } from '../../domain/task.ts';
import { nextPollAt, retryDelayMs } from './backoff.ts';
import { createEndpoint, type SubmittableType } from './task-request.ts';
import { classifyUpstreamError, createBodyOf, type UpstreamFailure } from './upstream-api.ts';
import { releaseLease, transitionHeld, type Held } from './lease.ts';
import { createFineTuneJob, trainingFileRefusal, uploadTrainingFile } from './fine-tune-job.ts';
import { step, upstreamClaimKey, UPSTREAM_CLAIM_HASH, type TaskDeps, type TaskTimings } from './task-deps.ts';
import { synthesizeSpeech } from './synthesize-speech.ts';

export type CreateOutcome =
  /** DashScope accepted it: PENDING with its task id. */
  | { kind: 'submitted'; held: Held }
  /** DashScope refused it (4xx): FAILED with DashScope's code and message. */
  | { kind: 'rejected'; held: Held; failure: Extract<UpstreamFailure, { kind: 'rejected' }> }
  /** Sent, outcome unknown: stays QUEUED with the attempt recorded, reconciled later by poll-task. */
  | { kind: 'ambiguous'; held: Held }
  /** Throttled or DashScope failing: stays QUEUED without an attempt, submitted again later by poll-task. */
  | { kind: 'deferred'; held: Held; failure: UpstreamFailure }
  /** Throttled too often: FAILED. */
  | { kind: 'gave-up'; held: Held; failure: UpstreamFailure };

/** Adopts an upstream task for a held QUEUED task: PENDING with the id, first poll scheduled. */
export async function adoptUpstream(deps: TaskDeps, held: Held, dashscopeTaskId: string, requestId: string | undefined, firstPollAt: Date, leaseMs: number): Promise<Held> {
  const next = await transitionHeld(deps, held, 'PENDING', {
    dashscopeTaskId,
    ...(requestId ? { dashscopeRequestId: requestId } : {}),
    pollCount: 0,
    dueAt: firstPollAt.toISOString(),
    // The long submit lease covered the create call; what is left is short.
    leaseUntil: new Date(deps.clock.now().getTime() + leaseMs).toISOString(),
  });
  await step(deps, 'submit:transitioned', held.task.id);
  return next;
}

/** A create refused or failing before any task exists upstream: FAILED, or given back to be sent again later. */
async function settleNotCreated(deps: TaskDeps, h: Held, failure: Exclude<UpstreamFailure, { kind: 'ambiguous' }>, timings: TaskTimings): Promise<CreateOutcome> {
  const log = deps.logger.child({ taskId: h.task.id });
  if (failure.kind === 'rejected') {
    log.warn('DashScope rejected the task', { code: failure.code, status: failure.status, dashscopeRequestId: failure.requestId });
    const error: TaskError = { code: failure.code, message: failure.message };
    const next = await transitionHeld(deps, h, 'FAILED', { error });
    await releaseLease(deps, next);
    return { kind: 'rejected', held: next, failure };
  }
  const attempts = h.task.pollCount + 1;
  if (attempts >= timings.maxSubmitAttempts) {
    log.error('create kept failing; giving up', { attempts, code: failure.code });
    const error: TaskError = { code: 'SubmissionFailed', message: `DashScope did not accept the task after ${attempts} attempts: ${failure.code}: ${failure.message}` };
    const next = await transitionHeld(deps, h, 'FAILED', { error });
    await releaseLease(deps, next);
    return { kind: 'gave-up', held: next, failure };
  }
  // DashScope answered (429/5xx) or the request never left: nothing was created, so sending again is safe.
  log.warn('create failed transiently; poll-task will send it again', { attempts, code: failure.code });
  const dueAt = new Date(deps.clock.now().getTime() + retryDelayMs(timings.retryBaseMs, attempts, 60_000, timings.random));
  const task = await releaseLease(deps, h, { submitAttemptedAt: undefined, pollCount: attempts, dueAt: dueAt.toISOString() });
  return { kind: 'deferred', held: { ...h, task: task ?? h.task }, failure };
}

/** A fine-tune's training file goes up before the attempt is recorded: an upload is no job, so it may be repeated. */
async function uploadFirst(deps: TaskDeps, held: Held, timings: TaskTimings): Promise<{ fileId: string } | { outcome: CreateOutcome }> {
  try {
    return { fileId: await uploadTrainingFile(deps, held.task, { timeoutMs: timings.createTimeoutMs }) };
  } catch (e) {
    const failure = trainingFileRefusal(e) ?? classifyUpstreamError(e);
    return { outcome: await settleNotCreated(deps, held, failure.kind === 'ambiguous' ? { ...failure, kind: 'transient' } : failure, timings) };
  }
}

/** Sends the create for `held` (QUEUED, no attempt recorded, lease ours) and releases the lease. */
export async function sendCreate(deps: TaskDeps, held: Held, timings: TaskTimings): Promise<CreateOutcome> {
  // DashScope has no asynchronous speech task: the synthesis is the create, part by part
  if (held.task.type === 'text-to-speech') return synthesizeSpeech(deps, held, timings);
  const id = held.task.id;
  const log = deps.logger.child({ taskId: id });
  let fileId: string | undefined;
  if (held.task.type === 'fine-tune') {
    const uploaded = await uploadFirst(deps, held, timings);
    if ('outcome' in uploaded) return uploaded.outcome;
    fileId = uploaded.fileId;
  }
  const attemptAt = deps.clock.now();
  let h: Held = { ...held, task: await deps.tasks.update(id, held.task.version, { submitAttemptedAt: attemptAt.toISOString() }, attemptAt) };
  // The record is what keeps a crash from turning into a second create: send only once it is durable.
  const durable = await deps.tasks.get(id);
  if (durable?.submitAttemptedAt !== h.task.submitAttemptedAt || durable?.version !== h.task.version) {
    throw new Error(`task ${id}: the task store did not keep submitAttemptedAt (or the row moved on); the create was not sent`);
  }
  await step(deps, 'submit:attempt-recorded', id);

  let created: { taskId: string; requestId: string };
  try {
    const opts = { timeoutMs: timings.createTimeoutMs };
    created =
      fileId !== undefined
        ? await createFineTuneJob(deps, h.task, fileId, opts)
        : await deps.dashscope.createTask(createEndpoint(h.task.type as Exclude<SubmittableType, 'text-to-speech'>), createBodyOf(h.task), opts);
  } catch (e) {
    const failure = classifyUpstreamError(e, 'create');
    if (failure.kind === 'ambiguous') {
      log.warn('create outcome unknown; it will be reconciled, not re-sent', { err: e });
      await releaseLease(deps, h, { dueAt: new Date(attemptAt.getTime() + timings.reconcileAfterMs).toISOString() });
      return { kind: 'ambiguous', held: h };
    }
    return settleNotCreated(deps, h, failure, timings);
  }
  await step(deps, 'submit:upstream-created', id);

  const claim = await deps.tasks.putIdempotencyKey({ key: upstreamClaimKey(created.taskId), taskId: id, requestHash: UPSTREAM_CLAIM_HASH, createdAt: deps.clock.now().toISOString() });
  if (claim && claim.taskId !== id) throw new Error(`DashScope task ${created.taskId} is already claimed by task ${claim.taskId}`);
  await step(deps, 'submit:claimed', id);

  h = await adoptUpstream(deps, h, created.taskId, created.requestId, nextPollAt(deps.clock.now(), h.task.type, 0, timings), timings.leaseMs);
  log.info('submitted', { dashscopeTaskId: created.taskId, dashscopeRequestId: created.requestId });
  const task = await releaseLease(deps, h);
  return { kind: 'submitted', held: { ...h, task: task ?? h.task } };
}
