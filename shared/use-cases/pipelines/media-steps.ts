// The illustration and narration steps: each is one media task, submitted with an idempotency key of the
// pipeline and step (a retried step finds the same task), and once it is PERSISTED its file is copied,
// create-once, to `pipelines/{id}/` beside the article.
import { createHash } from 'node:crypto';
import { PIPELINE_LANGUAGES, articleMarkdown, narrationTextOf, outputKey, type MediaStepName, type OutputName, type Pipeline, type PipelineError, type PipelineOutput } from '../../domain/pipeline.ts';
import { isTerminal, type Task } from '../../domain/task.ts';
import type { Principal } from '../../domain/tenant.ts';
import { ObjectAlreadyExistsError, type ObjectMeta } from '../../ports/object-store.ts';
import { BudgetExceededError, RateLimitedError } from '../guards/guard-errors.ts';
import { submitTask } from '../tasks/submit-task.ts';
import { parseTaskRequest } from '../tasks/task-request.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { stepTaskKey, type PipelineDeps } from './pipeline-deps.ts';

export type SubmitOutcome = { kind: 'submitted'; task: Task } | { kind: 'retry'; code: string; message: string } | { kind: 'failed'; error: PipelineError };

/** The task request of a media step, built from the stored article (the same one on every retry). */
function stepRequest(deps: PipelineDeps, p: Pipeline, step: MediaStepName): unknown {
  const metadata = { pipelineId: p.id, pipelineStep: step };
  if (step === 'illustration') {
    return { type: 'text-to-image', model: deps.config.PIPELINE_IMAGE_MODEL, input: { prompt: p.illustrationPrompt ?? '' }, parameters: { n: 1 }, metadata };
  }
  return {
    type: 'text-to-speech',
    model: deps.config.PIPELINE_SPEECH_MODEL,
    input: { text: p.article ? narrationTextOf(p.article) : '', voice: deps.config.PIPELINE_VOICE, language_type: PIPELINE_LANGUAGES[p.language] },
    metadata,
  };
}

export async function submitStep(deps: PipelineDeps, p: Pipeline, step: MediaStepName, principal: Principal, requestId: string): Promise<SubmitOutcome> {
  try {
    const request = parseTaskRequest(stepRequest(deps, p, step));
    const result = await submitTask(deps, { request, tenant: p.tenant, principal, idempotencyKey: stepTaskKey(p.id, step), requestId });
    return { kind: 'submitted', task: result.task };
  } catch (e) {
    if (e instanceof RateLimitedError) return { kind: 'retry', code: e.code, message: e.message };
    if (e instanceof BudgetExceededError || e instanceof InvalidRequestError) return { kind: 'failed', error: { step, code: e.code, message: e.message } };
    throw e;
  }
}

/** What a finished media task means for its step: its output, a failure, or nothing yet. */
export type TaskState = { kind: 'running' } | { kind: 'persisted'; task: Task } | { kind: 'failed'; error: PipelineError };

export function taskState(step: MediaStepName, task: Task | undefined): TaskState {
  if (!task) return { kind: 'failed', error: { step, code: 'task_missing', message: `the ${step} task is gone` } };
  if (task.status === 'PERSISTED') return { kind: 'persisted', task };
  if (!isTerminal(task.status)) return { kind: 'running' };
  const code = task.error?.code ?? `task_${task.status.toLowerCase()}`;
  return { kind: 'failed', error: { step, code, message: task.error?.message ?? `task ${task.id} ended ${task.status}` } };
}

const outputOf = (name: OutputName, meta: ObjectMeta, sha256: string | undefined): PipelineOutput => ({
  name,
  key: meta.key,
  contentType: meta.contentType,
  bytes: meta.bytes,
  sha256: meta.metadata['sha256'] ?? sha256 ?? '',
});

/** Copies the task's first kept output to the pipeline's folder (create-once; a repeat finds the copy). */
export async function keepMedia(deps: Pick<PipelineDeps, 'objects'>, p: Pipeline, step: MediaStepName, task: Task): Promise<PipelineOutput | PipelineError> {
  const source = task.outputs.find((o) => o.key && !o.error);
  if (!source?.key) return { step, code: 'no_output', message: `task ${task.id} kept no ${step}` };
  const key = outputKey(p.id, step);
  const existing = await deps.objects.head(key);
  if (existing) return outputOf(step, existing, source.sha256);
  const { meta, body } = await deps.objects.get(source.key);
  const sha256 = source.sha256 ?? meta.metadata['sha256'];
  try {
    const put = await deps.objects.put(key, body, { contentType: source.contentType ?? meta.contentType, createOnly: true, ...(sha256 ? { metadata: { sha256 } } : {}) });
    return outputOf(step, put, sha256);
  } catch (e) {
    body.destroy();
    if (!(e instanceof ObjectAlreadyExistsError)) throw e;
    const raced = await deps.objects.head(key);
    if (!raced) throw e;
    return outputOf(step, raced, sha256);
  }
}

/** Writes `pipelines/{id}/article.md` (create-once: the article is stored, so a repeat writes the same text). */
export async function keepArticle(deps: Pick<PipelineDeps, 'objects'>, p: Pipeline): Promise<PipelineOutput> {
  const key = outputKey(p.id, 'article');
  const existing = await deps.objects.head(key);
  if (existing) return outputOf('article', existing, undefined);
  const text = Buffer.from(articleMarkdown(p.article!), 'utf8');
  const sha256 = createHash('sha256').update(text).digest('hex');
  try {
    return outputOf('article', await deps.objects.put(key, text, { contentType: 'text/markdown; charset=utf-8', createOnly: true, metadata: { sha256 } }), sha256);
  } catch (e) {
    if (!(e instanceof ObjectAlreadyExistsError)) throw e;
    const raced = await deps.objects.head(key);
    if (!raced) throw e;
    return outputOf('article', raced, sha256);
  }
}
