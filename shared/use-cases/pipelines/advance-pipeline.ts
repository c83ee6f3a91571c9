// advancePipeline: the one way a pipeline moves. It reads the pipeline, does the next thing its steps call for
// (write the article under a lease, submit or check the media tasks, keep their files, finish), and writes the
// result conditionally on the version it read; a writer that loses re-reads. Every piece of work is keyed by
// the pipeline and step, so an event delivered twice, or a sweep on top of an event, repeats nothing.
import { illustrationPromptOf, isFinished, MEDIA_STEPS, OUTPUT_NAMES, stepOf, withStep, type Pipeline, type PipelineError } from '../../domain/pipeline.ts';
import { appPrincipal, type Principal } from '../../domain/tenant.ts';
import { PipelineConflictError } from '../../ports/pipeline-store.ts';
import { keepArticle, keepMedia, submitStep, taskState } from './media-steps.ts';
import { pipelineTimings, type PipelineDeps, type PipelineTimings } from './pipeline-deps.ts';
import { pipelineEvent } from './pipeline-events.ts';
import { writeArticle } from './write-article.ts';

export type AdvanceOutcome =
  | { kind: 'unknown' }
  /** Finished before this call (a late or repeated event). */
  | { kind: 'finished'; pipeline: Pipeline }
  /** This call finished it. */
  | { kind: 'completed' | 'failed'; pipeline: Pipeline }
  /** Waiting: for its media tasks, a later article attempt, or another invocation writing the article. */
  | { kind: 'waiting'; pipeline: Pipeline };

/** Rounds of re-reading after a lost write before leaving the rest to the writers that won. */
const MAX_ROUNDS = 8;

export async function advancePipeline(deps: PipelineDeps, id: string, requestId: string): Promise<AdvanceOutcome> {
  const timings = pipelineTimings(deps);
  const log = deps.logger.child({ pipelineId: id });
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const p = await deps.pipelines.get(id);
    if (!p) return { kind: 'unknown' };
    if (isFinished(p.status)) return { kind: 'finished', pipeline: p };
    try {
      const done = await move({ ...deps, logger: log }, p, requestId, timings);
      if (done) return done;
    } catch (e) {
      if (!(e instanceof PipelineConflictError)) throw e;
    }
  }
  const p = await deps.pipelines.get(id);
  return p ? (isFinished(p.status) ? { kind: 'finished', pipeline: p } : { kind: 'waiting', pipeline: p }) : { kind: 'unknown' };
}

async function principalOf(deps: PipelineDeps, tenant: string): Promise<Principal> {
  return deps.tenants ? await deps.tenants.principal(tenant) : appPrincipal(tenant);
}

const later = (now: Date, ms: number) => new Date(now.getTime() + ms).toISOString();

/** One move; undefined when it wrote progress and the next move should follow at once. */
async function move(deps: PipelineDeps, p: Pipeline, requestId: string, t: PipelineTimings): Promise<Exclude<AdvanceOutcome, { kind: 'unknown' | 'finished' }> | undefined> {
  const now = deps.clock.now();
  const article = stepOf(p, 'article');
  if (article.status === 'FAILED') return fail(deps, p, article.error ?? { step: 'article', code: 'failed', message: 'the article step failed' });
  if (article.status !== 'COMPLETED') return writeArticleStep(deps, p, requestId, t);

  let next = p;
  const principal = await principalOf(deps, p.tenant);
  for (const name of MEDIA_STEPS) {
    const s = stepOf(next, name);
    if (s.status === 'COMPLETED' || s.status === 'FAILED') continue;
    let taskId = s.taskId;
    if (!taskId) {
      const submitted = await submitStep(deps, next, name, principal, requestId);
      if (submitted.kind === 'failed') return fail(deps, withStep(next, name, (x) => ({ ...x, status: 'FAILED', error: submitted.error, finishedAt: now.toISOString() })), submitted.error);
      if (submitted.kind === 'retry') {
        deps.logger.warn('pipeline step held back', { step: name, code: submitted.code });
        continue;
      }
      taskId = submitted.task.id;
      next = withStep(next, name, (x) => ({ ...x, status: 'RUNNING', taskId, attempts: x.attempts + 1, startedAt: now.toISOString() }));
    }
    const state = taskState(name, await deps.tasks.get(taskId));
    if (state.kind === 'failed') return fail(deps, withStep(next, name, (x) => ({ ...x, status: 'FAILED', error: state.error, finishedAt: now.toISOString() })), state.error);
    if (state.kind === 'persisted') {
      const kept = await keepMedia(deps, next, name, state.task);
      if (!('key' in kept)) return fail(deps, withStep(next, name, (x) => ({ ...x, status: 'FAILED', error: kept, finishedAt: now.toISOString() })), kept);
      next = withStep(next, name, (x) => ({ ...x, status: 'COMPLETED', finishedAt: now.toISOString() }));
      next = { ...next, outputs: [...next.outputs.filter((o) => o.name !== name), kept] };
    }
  }
  if (MEDIA_STEPS.every((n) => stepOf(next, n).status === 'COMPLETED')) return complete(deps, next);
  // nothing changed and not yet due: the events (or the sweep) bring the next move
  const due = !p.dueAt || Date.parse(p.dueAt) <= now.getTime();
  if (next === p && !due) return { kind: 'waiting', pipeline: p };
  const saved = await deps.pipelines.put({ ...next, status: 'RUNNING', dueAt: later(now, t.sweepAfterMs), updatedAt: now.toISOString() }, p.version);
  return { kind: 'waiting', pipeline: saved };
}

async function writeArticleStep(deps: PipelineDeps, p: Pipeline, requestId: string, t: PipelineTimings): Promise<Exclude<AdvanceOutcome, { kind: 'unknown' | 'finished' }> | undefined> {
  const now = deps.clock.now();
  const article = stepOf(p, 'article');
  const owner = `pipeline:${requestId}`;
  const held = article.status === 'RUNNING' && article.leaseOwner !== owner && article.leaseUntil !== undefined && Date.parse(article.leaseUntil) > now.getTime();
  // another invocation writes it, or the last attempt's pause has not ended
  if (held || (article.status === 'PENDING' && article.attempts > 0 && p.dueAt && Date.parse(p.dueAt) > now.getTime())) return { kind: 'waiting', pipeline: p };

  // an attempt counts when it is claimed, so one whose invocation was ended mid-call (its lease ran out) is spent
  // too: the attempts stay bounded however the calls end
  if (article.status === 'RUNNING' && article.attempts >= t.articleMaxAttempts) {
    const error: PipelineError = { step: 'article', code: 'article_timed_out', message: `the article call did not finish in ${article.attempts} attempts (each ended before its answer)` };
    return fail(deps, withStep(p, 'article', (s) => ({ name: s.name, status: 'FAILED', attempts: s.attempts, error, ...(s.startedAt ? { startedAt: s.startedAt } : {}), finishedAt: now.toISOString() })), error);
  }
  const attempt = article.attempts + 1;
  const leaseUntil = later(now, t.articleLeaseMs);
  const claimed = await deps.pipelines.put(
    { ...withStep(p, 'article', (s) => ({ ...s, status: 'RUNNING', attempts: attempt, leaseOwner: owner, leaseUntil, startedAt: s.startedAt ?? now.toISOString() })), status: 'RUNNING', dueAt: leaseUntil, updatedAt: now.toISOString() },
    p.version,
  );
  const outcome = await writeArticle(deps, claimed, await principalOf(deps, p.tenant), attempt);
  const after = deps.clock.now();
  const at = after.toISOString();
  if (outcome.kind === 'written') {
    let next = withStep(claimed, 'article', (s) => ({ name: s.name, status: 'COMPLETED', attempts: attempt, ...(s.startedAt ? { startedAt: s.startedAt } : {}), finishedAt: at }));
    next = withStep(next, 'illustration-prompt', (s) => ({ ...s, status: 'COMPLETED', attempts: 1, startedAt: at, finishedAt: at }));
    await deps.pipelines.put({ ...next, article: outcome.article, illustrationPrompt: illustrationPromptOf(outcome.article, p.style), dueAt: later(after, t.sweepAfterMs), updatedAt: at }, claimed.version);
    deps.logger.info('pipeline article written', { attempt });
    return undefined;
  }
  const error: PipelineError = { step: 'article', code: outcome.code, message: outcome.message };
  if (outcome.kind === 'retry' && attempt < t.articleMaxAttempts) {
    deps.logger.warn('pipeline article attempt failed; tried again later', { attempt, code: outcome.code });
    const next = withStep(claimed, 'article', (s) => ({ name: s.name, status: 'PENDING', attempts: attempt, error, ...(s.startedAt ? { startedAt: s.startedAt } : {}) }));
    const saved = await deps.pipelines.put({ ...next, dueAt: later(after, t.articleRetryMs * attempt), updatedAt: at }, claimed.version);
    return { kind: 'waiting', pipeline: saved };
  }
  return fail(deps, withStep(claimed, 'article', (s) => ({ name: s.name, status: 'FAILED', attempts: attempt, error, ...(s.startedAt ? { startedAt: s.startedAt } : {}), finishedAt: at })), error);
}

/** FAILED with the step and the reason, then pipeline.failed. A task of the other step still running is left to finish. */
async function fail(deps: PipelineDeps, p: Pipeline, error: PipelineError): Promise<{ kind: 'failed'; pipeline: Pipeline }> {
  const now = deps.clock.now();
  const { dueAt: _d, ...rest } = p;
  const saved = await deps.pipelines.put({ ...rest, status: 'FAILED', error, updatedAt: now.toISOString() }, p.version);
  deps.logger.warn('pipeline failed', { step: error.step, code: error.code });
  await deps.events.publish([pipelineEvent(saved, 'pipeline.failed', now)]);
  return { kind: 'failed', pipeline: saved };
}

/** Both media kept: the article's file beside them, the three outputs in order, COMPLETED, then pipeline.completed. */
async function complete(deps: PipelineDeps, p: Pipeline): Promise<{ kind: 'completed'; pipeline: Pipeline }> {
  const now = deps.clock.now();
  const article = await keepArticle(deps, p);
  const all = [article, ...p.outputs.filter((o) => o.name !== 'article')];
  const outputs = OUTPUT_NAMES.map((n) => all.find((o) => o.name === n)!);
  const { dueAt: _d, ...rest } = p;
  const saved = await deps.pipelines.put({ ...rest, status: 'COMPLETED', outputs, updatedAt: now.toISOString() }, p.version);
  deps.logger.info('pipeline completed', { outputs: outputs.map((o) => o.key) });
  await deps.events.publish([pipelineEvent(saved, 'pipeline.completed', now)]);
  return { kind: 'completed', pipeline: saved };
}

/** Re-publishes the event of a finished pipeline (stable id: harmless), for a delivery that arrives after the end. */
export async function republishFinished(deps: Pick<PipelineDeps, 'events' | 'clock'>, p: Pipeline): Promise<void> {
  if (p.status === 'COMPLETED' || p.status === 'FAILED') await deps.events.publish([pipelineEvent(p, p.status === 'COMPLETED' ? 'pipeline.completed' : 'pipeline.failed', deps.clock.now())]);
}
