// A speech task's "create": Qwen TTS answers each synthesis at once with a WAV URL, so the text's parts are
// synthesised in order, each attempt recorded before it is sent and each result recorded before the next part.
// A part whose outcome is unknown is never sent again (it may have been synthesised and billed): the task fails.
import { requireModel } from '../../catalog/catalog.ts';
import { taskCost } from '../../catalog/pricing.ts';
import { fromMicros } from '../../domain/ledger.ts';
import { manifestKey } from '../../domain/manifest.ts';
import type { SpeechPart, Task, TaskError } from '../../domain/task.ts';
import type { TaskPatch } from '../../ports/task-store.ts';
import { splitSpeechText } from '../speech/split-text.ts';
import { retryDelayMs } from './backoff.ts';
import { releaseLease, transitionHeld, type Held } from './lease.ts';
import { buildManifest, putManifest } from './manifest-writer.ts';
import type { CreateOutcome } from './send-create.ts';
import { step, type TaskDeps, type TaskTimings } from './task-deps.ts';
import { classifyUpstreamError, type UpstreamFailure } from './upstream-api.ts';
import { RESULT_TTL_MS, urlExpiry } from './upstream-result.ts';

/** The parts of a speech task's text, as they are sent (the split is the same every time it is made). */
export function speechTexts(task: Pick<Task, 'model' | 'input'>): string[] {
  const model = requireModel(task.model, 'text-to-speech');
  return splitSpeechText(String(task.input.text ?? ''), model.maxCharacters);
}

/** What the parts synthesised so far were billed: DashScope's counts, summed. */
function speechUsage(done: readonly SpeechPart[]): Record<string, number> {
  return { characters: done.reduce((n, p) => n + (p.characters ?? 0), 0), parts: done.length };
}

/** The usage and cost of what was synthesised, for a task that ends without all its parts (billed upstream all the same). */
function partialBill(task: Task, done: readonly SpeechPart[]): TaskPatch {
  if (done.length === 0) return {};
  const usage = speechUsage(done);
  const priced = taskCost(task, usage);
  return { usage, ...(priced ? { cost: { amount: fromMicros(priced.micros), currency: 'CNY' as const } } : {}) };
}

async function fail(deps: TaskDeps, held: Held, error: TaskError): Promise<Held> {
  const done = held.task.speech?.done ?? [];
  const next = await transitionHeld(deps, held, 'FAILED', { error, ...partialBill(held.task, done), dueAt: held.task.leaseUntil });
  await releaseLease(deps, next);
  return next;
}

/** Every part is synthesised: the manifest (one WAV, joined from the parts when there are several), then SUCCEEDED. */
async function finish(deps: TaskDeps, held: Held, t: TaskTimings): Promise<CreateOutcome> {
  const task = held.task;
  const done = task.speech?.done ?? [];
  const now = deps.clock.now();
  const earliest = done.map((p) => p.expiresAt).sort()[0]!;
  const outputs = [{ index: 0, sourceUrl: done[0]!.url, sourceExpiresAt: earliest }];
  const usage = speechUsage(done);
  const manifest = buildManifest({ ...task, outputs, usage }, now);
  const existed = (await deps.objects.head(manifestKey(task.id))) !== undefined;
  await putManifest(deps.objects, manifest);
  await step(deps, 'poll:manifest-written', task.id);
  const priced = taskCost(task, usage);
  const next = await transitionHeld(deps, held, 'SUCCEEDED', {
    outputs,
    usage,
    ...(priced ? { cost: { amount: fromMicros(priced.micros), currency: 'CNY' as const } } : {}),
    pollCount: 0,
    dueAt: new Date(now.getTime() + t.redriveAfterMs).toISOString(),
  });
  await step(deps, 'poll:transitioned', task.id);
  // as poll-upstream's succeed: a manifest written by a holder that died before the transition fires again
  if (existed) await putManifest(deps.objects, manifest);
  const released = await releaseLease(deps, next);
  return { kind: 'submitted', held: { ...next, task: released ?? next.task } };
}

/**
 * Synthesises the remaining parts of `held` (a QUEUED or RUNNING speech task, lease ours) for about `budgetMs`
 * (at least one part), then finishes it or leaves the rest due at once, and releases the lease.
 */
export async function synthesizeSpeech(deps: TaskDeps, held: Held, t: TaskTimings, budgetMs: number = t.speechBudgetMs): Promise<CreateOutcome> {
  const id = held.task.id;
  const log = deps.logger.child({ taskId: id });
  const started = deps.clock.now().getTime();
  const texts = speechTexts(held.task);
  const voice = String(held.task.input.voice ?? '');
  const language = typeof held.task.input.language_type === 'string' ? held.task.input.language_type : undefined;
  let h = held;
  for (let sent = 0; ; sent++) {
    const done = h.task.speech?.done ?? [];
    if (done.length >= texts.length) return finish(deps, h, t);
    if (h.task.submitAttemptedAt) {
      // a synthesis was sent by a holder that stopped before recording its answer: it may have been made
      // (and billed), and DashScope keeps no list to find it in, so it is not sent again
      log.warn('a synthesis of this task had no recorded outcome; not re-sent', { part: done.length, attemptedAt: h.task.submitAttemptedAt });
      const failure: UpstreamFailure = { kind: 'ambiguous', code: 'SynthesisAmbiguous', message: `part ${done.length + 1} of ${texts.length} was sent at ${h.task.submitAttemptedAt} and its outcome is unknown; it is not synthesised twice` };
      return { kind: 'gave-up', held: await fail(deps, h, { code: failure.code, message: failure.message }), failure };
    }
    const now = deps.clock.now();
    if (sent > 0 && now.getTime() - started >= budgetMs) {
      // the rest is poll-task's: due now, under its own lease
      const task = await releaseLease(deps, h, { dueAt: now.toISOString() });
      return { kind: 'submitted', held: { ...h, task: task ?? h.task } };
    }
    const index = done.length;
    const leaseUntil = new Date(now.getTime() + t.submitLeaseMs).toISOString();
    // the attempt is durable before the request goes out; the lease covers the call and its retries, and the
    // task falls due when it ends, so a holder that dies here is followed by one that sees the attempt
    const recorded = await deps.tasks.update(id, h.task.version, { submitAttemptedAt: now.toISOString(), leaseUntil, dueAt: leaseUntil, speech: { parts: texts.length, done } }, now);
    const durable = await deps.tasks.get(id);
    if (durable?.submitAttemptedAt !== recorded.submitAttemptedAt || durable?.version !== recorded.version) {
      throw new Error(`task ${id}: the task store did not keep submitAttemptedAt (or the row moved on); the synthesis was not sent`);
    }
    h = { ...h, task: recorded };
    await step(deps, 'submit:attempt-recorded', id);

    let result;
    try {
      if (!deps.speech) throw new Error('no speech upstream is configured for tasks');
      result = await deps.speech.synthesizeSpeech(
        { model: h.task.model, input: { text: texts[index]!, voice, ...(language ? { language_type: language } : {}) } },
        { timeoutMs: t.createTimeoutMs },
      );
    } catch (e) {
      const failure = classifyUpstreamError(e, 'create');
      if (failure.kind === 'ambiguous') {
        log.warn('synthesis outcome unknown; not re-sent', { part: index, code: failure.code });
        const error = { code: 'SynthesisAmbiguous', message: `part ${index + 1} of ${texts.length}: the synthesis may have been made but its answer was lost (${failure.code}); it is not synthesised twice` };
        return { kind: 'gave-up', held: await fail(deps, h, error), failure };
      }
      if (failure.kind === 'rejected') {
        log.warn('DashScope refused the synthesis', { part: index, code: failure.code, status: failure.status, dashscopeRequestId: failure.requestId });
        const message = texts.length > 1 ? `part ${index + 1} of ${texts.length}: ${failure.message}` : failure.message;
        return { kind: 'rejected', held: await fail(deps, h, { code: failure.code, message }), failure };
      }
      const attempts = h.task.pollCount + 1;
      if (attempts >= t.maxSubmitAttempts) {
        log.error('synthesis kept failing; giving up', { part: index, attempts, code: failure.code });
        const error = { code: 'SubmissionFailed', message: `DashScope did not synthesise part ${index + 1} of ${texts.length} after ${attempts} attempts: ${failure.code}: ${failure.message}` };
        return { kind: 'gave-up', held: await fail(deps, h, error), failure };
      }
      // DashScope answered (429/5xx) or the request never left: nothing was synthesised, so it may be sent again
      log.warn('synthesis failed transiently; poll-task will send it again', { part: index, attempts, code: failure.code });
      const dueAt = new Date(deps.clock.now().getTime() + retryDelayMs(t.retryBaseMs, attempts, 60_000, t.random));
      const task = await releaseLease(deps, h, { submitAttemptedAt: undefined, pollCount: attempts, dueAt: dueAt.toISOString() });
      return { kind: 'deferred', held: { ...h, task: task ?? h.task }, failure };
    }
    await step(deps, 'submit:upstream-created', id);

    const answeredAt = deps.clock.now();
    const fallback = new Date(answeredAt.getTime() + RESULT_TTL_MS);
    const expiresAt = result.expiresAt ? new Date(result.expiresAt * 1000) : urlExpiry(result.url, fallback);
    const part: SpeechPart = {
      index,
      url: result.url,
      expiresAt: expiresAt.toISOString(),
      ...(result.characters !== undefined ? { characters: result.characters } : {}),
      ...(result.requestId ? { dashscopeRequestId: result.requestId } : {}),
    };
    const patch: TaskPatch = { submitAttemptedAt: undefined, pollCount: 0, speech: { parts: texts.length, done: [...done, part] }, ...(result.requestId ? { dashscopeRequestId: result.requestId } : {}) };
    if (h.task.status === 'QUEUED') {
      h = await transitionHeld(deps, h, 'RUNNING', patch);
      await step(deps, 'submit:transitioned', id);
    } else {
      h = { ...h, task: await deps.tasks.update(id, h.task.version, patch, answeredAt) };
    }
    log.info('speech part synthesised', { part: index, parts: texts.length, characters: result.characters, dashscopeRequestId: result.requestId });
  }
}
