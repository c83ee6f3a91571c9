// persistResult, the use case behind persist-to-oss: copies every result URL of a manifest into `media/...`
// (create-once, verified), then moves the task SUCCEEDED → PERSISTED (or EXPIRED) and publishes the event.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Manifest, ManifestOutput } from '../../domain/manifest.ts';
import type { Task, TaskError } from '../../domain/task.ts';
import type { Logger } from '../../log/logger.ts';
import { EventPublishError } from '../../ports/event-bus.ts';
import type { ObjectStore } from '../../ports/object-store.ts';
import { DownloadError, type ResultSource } from '../../ports/result-source.ts';
import { TaskConflictError } from '../../ports/task-store.ts';
import { republishTaskEvent, transitionTask, type TransitionDeps } from '../transition-task.ts';
import { copyOutput } from './copy-output.ts';
import { expiryOf, isExpiredRefusal, isPastExpiry } from './expiry.ts';
import { PersistRetryableError, PersistTaskNotFoundError, TaskNotReadyError } from './persist-errors.ts';
import { finalPatch, mergeOutputs, type OutputResult, type OutputSource } from './output-results.ts';
import { readManifest } from './read-manifest.ts';
import { verifyPersisted } from './verify-persisted.ts';

export interface PersistDeps extends TransitionDeps {
  objects: ObjectStore;
  logger: Logger;
  /** Streams each result URL of the manifest (allowlist, address policy, size and time limits are its business). */
  results: ResultSource;
  /** How long to keep re-reading a task that is not SUCCEEDED yet before failing the invocation (default 2 s). */
  notReadyWaitMs?: number;
}

export type PersistOutcome =
  | { outcome: 'persisted' | 'expired' | 'failed' | 'duplicate'; task: Task }
  | { outcome: 'skipped'; task: Task; reason: string };

const NOT_YET_SUCCEEDED = new Set(['QUEUED', 'PENDING', 'RUNNING']);

/**
 * Persists the outputs listed by the manifest under `manifestKey`. Safe under at-least-once delivery: a
 * duplicate verifies what is stored and returns; a transient failure throws so the event is delivered again.
 */
export async function persistResult(deps: PersistDeps, manifestKey: string, signal?: AbortSignal): Promise<PersistOutcome> {
  const manifest = await readManifest(deps.objects, manifestKey);
  let task = await readySucceeded(deps, manifest.taskId, signal);
  const log = deps.logger.child({ taskId: manifest.taskId, tenant: task.tenant });
  if (task.status !== 'SUCCEEDED') return settled(deps, task, log);

  const results: OutputResult[] = [];
  for (const output of manifest.outputs) results.push(await persistOne(deps, task, output, log, signal));

  const transient = results.filter((r): r is Extract<OutputResult, { error: TaskError }> => r.kind === 'transient');
  if (transient.length) {
    // What was copied stays (create-once); the next delivery verifies it and retries the rest. The row
    // says why meanwhile, so GET /v1/tasks/{id} shows what is pending.
    await recordProgress(deps, task, results, log);
    throw new PersistRetryableError(task.id, transient.map((r) => ({ index: r.index, code: r.error.code, message: r.error.message })));
  }
  const expired = results.filter((r) => r.kind === 'expired');
  const copied = results.some((r) => r.kind === 'copied');
  // PERSISTED means the outputs are in the bucket: with none copied (all refused) the task failed instead.
  const final = expired.length ? 'EXPIRED' : copied ? 'PERSISTED' : 'FAILED';
  for (let attempt = 0; ; attempt++) {
    const patch = finalPatch(task, results);
    try {
      task = await transitionTask(deps, task, final, patch);
      break;
    } catch (err) {
      if (err instanceof EventPublishError) {
        await republishWithRetry(deps, manifest, err, log);
        task = (await deps.tasks.get(task.id)) ?? task;
        break;
      }
      if (!(err instanceof TaskConflictError) || attempt >= 3) throw err;
      // Someone else wrote the row (poll-task's lease, a concurrent delivery): re-read and decide again.
      const fresh = await deps.tasks.get(task.id);
      if (!fresh) throw new PersistTaskNotFoundError(task.id);
      if (fresh.status !== 'SUCCEEDED') return settled(deps, fresh, log);
      task = fresh;
    }
  }
  log.info('task outputs persisted', {
    status: task.status,
    copied: results.filter((r) => r.kind === 'copied').length,
    refused: results.filter((r) => r.kind === 'refused').length,
    expired: expired.length,
  });
  return { outcome: task.status === 'EXPIRED' ? 'expired' : task.status === 'FAILED' ? 'failed' : 'persisted', task };
}

/** Reads the task, waiting a little for a manifest that overtook its SUCCEEDED write; throws if it never comes. */
async function readySucceeded(deps: PersistDeps, taskId: string, signal?: AbortSignal): Promise<Task> {
  const waitMs = deps.notReadyWaitMs ?? 2_000;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const task = await deps.tasks.get(taskId);
    if (!task) throw new PersistTaskNotFoundError(taskId);
    if (!NOT_YET_SUCCEEDED.has(task.status)) return task;
    const left = waitMs - (Date.now() - started);
    if (left <= 0) throw new TaskNotReadyError(taskId, task.status);
    await sleep(Math.min(50 * 2 ** attempt, left), undefined, { signal });
  }
}

/** A task past SUCCEEDED: a duplicate delivery (verify what is stored) or nothing left to do. */
async function settled(deps: PersistDeps, task: Task, log: Logger): Promise<PersistOutcome> {
  if (task.status === 'PERSISTED' || task.status === 'EXPIRED') {
    await verifyPersisted(deps.objects, task);
    // The delivery may be FC's retry of an invocation that died between the status write and the publish:
    // publish again under the same stable id (consumers drop duplicates) rather than risk losing the event.
    await republishTaskEvent(deps, task);
    log.info('duplicate manifest event: stored outputs verified, event re-published', { status: task.status });
    return { outcome: 'duplicate', task };
  }
  const reason = `task is ${task.status}; a manifest for it is not persisted`;
  log.warn('manifest for a task that cannot be persisted', { status: task.status });
  return { outcome: 'skipped', task, reason };
}

async function persistOne(deps: PersistDeps, task: Task, output: ManifestOutput, log: Logger, signal?: AbortSignal): Promise<OutputResult> {
  const { index } = output;
  if ('error' in output) return { index, kind: 'upstream-error', error: output.error };
  const source: OutputSource = { sourceUrl: output.url, sourceExpiresAt: output.expiresAt };
  const expiry = expiryOf(output.url, output.expiresAt);
  const expiredError = (): OutputResult => ({
    index,
    kind: 'expired',
    source,
    error: { code: 'ResultExpired', message: `output ${index}: the source URL expired at ${expiry.toISOString()} before it could be copied` },
  });
  if (isPastExpiry(expiry, deps.clock.now())) return expiredError();
  const origin = URL.canParse(output.url) ? new URL(output.url).origin : 'invalid';
  try {
    const parts = output.parts?.map((p) => p.url);
    const copied = await copyOutput(deps, { taskId: task.id, taskCreatedAt: task.createdAt, index, url: output.url, ...(parts ? { parts } : {}), signal });
    log.info(copied.reused ? 'output already stored, verified' : 'output copied', { index, key: copied.key, bytes: copied.bytes, contentType: copied.contentType });
    return { index, kind: 'copied', copied, source };
  } catch (err) {
    if (!(err instanceof DownloadError)) throw err;
    const detail = { index, origin, code: err.code, status: err.status, reason: err.message };
    if (err.kind === 'refused') {
      log.warn('output refused', detail);
      return { index, kind: 'refused', source, error: { code: err.code, message: `output ${index}: ${err.message}` } };
    }
    if (err.kind === 'status' && err.status === 403 && isExpiredRefusal(expiry, deps.clock.now(), err.sourceDate)) {
      log.warn('output expired at the source', detail);
      return expiredError();
    }
    log.warn('output not copied, will retry', detail);
    return { index, kind: 'transient', source, error: { code: err.code, message: err.message } };
  }
}

/** Best effort: a lost race only means the reason is not shown until the next attempt. */
async function recordProgress(deps: PersistDeps, task: Task, results: OutputResult[], log: Logger): Promise<void> {
  try {
    await deps.tasks.update(task.id, task.version, { outputs: mergeOutputs(task, results) }, deps.clock.now());
  } catch (err) {
    if (!(err instanceof TaskConflictError)) throw err;
    log.debug('progress not recorded: the task changed meanwhile');
  }
}

/** The transition is written; its event is not. Retry in place (the event id is stable, so repeats are harmless). */
async function republishWithRetry(deps: PersistDeps, manifest: Manifest, first: EventPublishError, log: Logger): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    await sleep(100 * 2 ** attempt);
    const task = await deps.tasks.get(manifest.taskId);
    if (!task) break;
    try {
      await republishTaskEvent(deps, task);
      return;
    } catch (err) {
      if (!(err instanceof EventPublishError)) throw err;
    }
  }
  log.error('task event could not be published after the transition', { error: first });
  throw first;
}
