// Fine-tune jobs as tasks: a `fine-tune` task's training file uploaded and its job created, and a job read as
// a task's state, so the one poll loop (leases, backoff, transitions, billing) follows jobs as it does media.
import type { Task } from '../../domain/task.ts';
import type { FineTuneUpstream, UpstreamFineTuneJob } from '../../ports/fine-tune-upstream.ts';
import type { UpstreamTask } from '../../ports/task-upstream.ts';
import type { CallOptions } from '../../ports/upstream-call.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { readTrainingFile, TrainingFileNotFoundError } from '../finetune/training-file.ts';
import type { UpstreamFailure } from './upstream-api.ts';

/** What a `fine-tune` task keeps in its `input` and `parameters`. */
export interface FineTuneTaskInput {
  /** Bucket key of the training file (checked when the task was submitted). */
  training_file: string;
  examples: number;
}

function upstreamOf(deps: { fineTunes?: FineTuneUpstream }): FineTuneUpstream {
  // a wiring fault, not the task's: every process that runs tasks is given the client
  if (!deps.fineTunes) throw new Error('no fine-tune upstream is wired into this process');
  return deps.fineTunes;
}

/** The training file's failure that no retry fixes (gone, emptied, grown past the cap since it was checked). */
export function trainingFileRefusal(e: unknown): Extract<UpstreamFailure, { kind: 'rejected' }> | undefined {
  if (e instanceof TrainingFileNotFoundError || e instanceof InvalidRequestError) return { kind: 'rejected', code: e.code, message: e.message };
  return undefined;
}

/** Reads the task's training file from the bucket and uploads it to DashScope; returns the file id. */
export async function uploadTrainingFile(deps: { fineTunes?: FineTuneUpstream; objects: Parameters<typeof readTrainingFile>[0] }, task: Task, opts: CallOptions): Promise<string> {
  const key = String(task.input.training_file);
  const data = await readTrainingFile(deps.objects, key);
  const filename = `${task.id}.jsonl`;
  return (await upstreamOf(deps).uploadFile({ filename, data }, opts)).fileId;
}

/** Creates the job (named by the task id, so an ambiguous create can be found in the job list). */
export async function createFineTuneJob(deps: { fineTunes?: FineTuneUpstream }, task: Task, fileId: string, opts: CallOptions): Promise<{ taskId: string; requestId: string }> {
  const p = task.parameters;
  const { job, requestId } = await upstreamOf(deps).createFineTune(
    {
      model: task.model,
      training_file_ids: [fileId],
      ...(p.hyper_parameters ? { hyper_parameters: p.hyper_parameters as Record<string, unknown> } : {}),
      ...(typeof p.training_type === 'string' ? { training_type: p.training_type } : {}),
      job_name: task.id,
    },
    opts,
  );
  return { taskId: job.job_id, requestId };
}

const STATUS: Record<string, string> = {
  PENDING: 'PENDING',
  // one job of an account trains at a time: waiting for the slot is still pending
  QUEUING: 'PENDING',
  RUNNING: 'RUNNING',
  CANCELING: 'RUNNING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  CANCELED: 'CANCELED',
};

/** A job in a task's words: its status, failure, end time, training tokens and the fine-tuned model id. */
export function jobAsUpstreamTask(job: UpstreamFineTuneJob, requestId?: string): UpstreamTask {
  return {
    ...(requestId ? { request_id: requestId } : {}),
    output: {
      task_id: job.job_id,
      task_status: STATUS[job.status] ?? job.status,
      ...(job.code ? { code: job.code } : {}),
      ...(job.message ? { message: job.message } : {}),
      ...(job.end_time ? { end_time: job.end_time } : {}),
      ...(job.finetuned_output ? { finetuned_output: job.finetuned_output } : {}),
    },
    ...(typeof job.usage === 'number' ? { usage: { training_tokens: job.usage } } : {}),
  };
}

export async function getFineTuneAsTask(deps: { fineTunes?: FineTuneUpstream }, jobId: string, opts: CallOptions): Promise<UpstreamTask> {
  const { job, requestId } = await upstreamOf(deps).getFineTune(jobId, opts);
  return jobAsUpstreamTask(job, requestId);
}

const PAGE_SIZE = 100;
const MAX_PAGES = 5;

/** The jobs named after `taskId` (its ambiguous create), newest pages first. */
export async function findJobsOf(deps: { fineTunes?: FineTuneUpstream }, taskId: string, opts: CallOptions): Promise<UpstreamFineTuneJob[]> {
  const found: UpstreamFineTuneJob[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const { jobs, total } = await upstreamOf(deps).listFineTunes({ page_no: page, page_size: PAGE_SIZE }, opts);
    found.push(...jobs.filter((j) => j.job_name === taskId));
    if (jobs.length < PAGE_SIZE || page * PAGE_SIZE >= total) break;
  }
  return found;
}
