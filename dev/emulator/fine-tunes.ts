// Native fine-tune endpoints (`/api/v1/fine-tunes`): create, get, list, cancel (while active), delete
// (once finished), with DashScope's cap of 20 jobs running or succeeded per user.
import { z } from 'zod';
import { findModel } from '../../shared/catalog/catalog.ts';
import { describeZodIssue } from './chat-rules.ts';
import { formatUtc8Seconds } from './clock.ts';
import { sendJson, type RequestContext } from './context.ts';
import type { EmulatorEnv } from './env.ts';
import { ApiError, invalidParameter, MESSAGES } from './errors.ts';
import type { JobRecord } from './fine-tune-store.ts';

const createSchema = z.looseObject({
  model: z.string().min(1),
  training_file_ids: z.array(z.string()).optional(),
  training_datasets: z.array(z.looseObject({ file_id: z.string() })).optional(),
  validation_file_ids: z.array(z.string()).optional(),
  training_type: z.enum(['sft', 'efficient_sft', 'dpo_full', 'dpo_lora', 'cpt']).optional(),
  hyper_parameters: z.record(z.string(), z.unknown()).optional(),
  job_name: z.string().optional(),
});

const MAX_ACTIVE = 20;

function view(j: JobRecord, env: EmulatorEnv): Record<string, unknown> {
  const state = env.fineTunes.stateOf(j);
  const ended = state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELED';
  return {
    job_id: j.jobId, job_name: j.jobName, status: state, finetuned_output: j.finetunedOutput, model: j.model, base_model: j.model,
    training_file_ids: j.trainingFileIds, validation_file_ids: j.validationFileIds, hyper_parameters: j.hyperParameters,
    training_type: j.trainingType, create_time: formatUtc8Seconds(j.createdAt), workspace_id: 'llm-emulator', creator: 'emulator',
    group: 'llm', max_output_cnt: 1,
    ...(ended ? { end_time: formatUtc8Seconds(j.canceledAt ?? j.endAt) } : {}),
    ...(state === 'SUCCEEDED' ? { usage: j.trainingTokens, output_cnt: 1 } : {}),
    ...(state === 'FAILED' ? { code: j.failure!.code, message: j.failure!.message } : {}),
  };
}

export function createFineTune(ctx: RequestContext, env: EmulatorEnv): void {
  const parsed = createSchema.safeParse(ctx.body);
  if (!parsed.success) throw invalidParameter(describeZodIssue(parsed.error).message);
  const b = parsed.data;
  ctx.entry.model = b.model;
  const model = findModel(b.model);
  if (!model || model.kind !== 'chat') throw invalidParameter(MESSAGES.modelNotExist);
  const trainingIds = b.training_file_ids ?? b.training_datasets?.map((d) => d.file_id) ?? [];
  if (!trainingIds.length) throw invalidParameter('Field required: training_file_ids', 'training_file_ids');
  const files = [...trainingIds, ...(b.validation_file_ids ?? [])].map((id) => {
    const f = env.files.get(id);
    if (!f) throw invalidParameter(`File not found: ${id}`, 'training_file_ids');
    return f;
  });
  const busy = env.fineTunes.all().filter((j) => ['RUNNING', 'SUCCEEDED'].includes(env.fineTunes.stateOf(j))).length;
  if (busy >= MAX_ACTIVE) throw new ApiError('rateQuota', 'Only 20 fine-tune job in running or succeeded allowed per user');
  const bad = files.find((f) => f.badLine !== undefined);
  const injected = ctx.plan.taskFail;
  const failure = bad
    ? { code: 'InvalidParameter', message: `File ${bad.id} line ${bad.badLine} is not valid JSON.` }
    : injected
      ? { code: injected.code ?? 'InternalError', message: injected.message ?? MESSAGES.internal }
      : undefined;
  const epochs = Number(b.hyper_parameters?.n_epochs ?? 1) || 1;
  const job = env.fineTunes.create(
    {
      jobName: b.job_name ?? '', model: model.id, trainingFileIds: trainingIds, validationFileIds: b.validation_file_ids ?? [],
      hyperParameters: b.hyper_parameters ?? {}, trainingType: b.training_type ?? 'sft',
      trainingTokens: Math.ceil(files.reduce((s, f) => s + f.bytes, 0) / 4) * epochs,
      ...(failure ? { failure } : {}),
    },
    env.options.taskTimings['fine-tune'],
  );
  sendJson(ctx, 200, { request_id: ctx.requestId, output: view(job, env) });
}

function job(ctx: RequestContext, env: EmulatorEnv): JobRecord {
  const j = env.fineTunes.get(ctx.params.id!);
  if (!j) throw new ApiError('notFound', `The fine-tune job ${ctx.params.id} does not exist.`);
  ctx.entry.model = j.model;
  return j;
}

export function getFineTune(ctx: RequestContext, env: EmulatorEnv): void {
  sendJson(ctx, 200, { request_id: ctx.requestId, output: view(job(ctx, env), env) });
}

export function listFineTunes(ctx: RequestContext, env: EmulatorEnv): void {
  const pageNo = Math.max(1, Number(ctx.query.get('page_no') ?? 1) || 1);
  const pageSize = Math.min(100, Math.max(1, Number(ctx.query.get('page_size') ?? 10) || 10));
  const all = env.fineTunes.all().sort((a, b) => b.createdAt - a.createdAt);
  const jobs = all.slice((pageNo - 1) * pageSize, pageNo * pageSize).map((j) => view(j, env));
  sendJson(ctx, 200, { request_id: ctx.requestId, output: { page_no: pageNo, page_size: pageSize, total: all.length, jobs } });
}

export function cancelFineTune(ctx: RequestContext, env: EmulatorEnv): void {
  const j = job(ctx, env);
  if (!env.fineTunes.cancel(j)) {
    throw new ApiError('unsupportedOperation', `The fine-tune job ${j.jobId} is ${env.fineTunes.stateOf(j)} and cannot be canceled.`);
  }
  sendJson(ctx, 200, { request_id: ctx.requestId, output: view(j, env) });
}

export function deleteFineTune(ctx: RequestContext, env: EmulatorEnv): void {
  const j = job(ctx, env);
  const state = env.fineTunes.stateOf(j);
  if (state !== 'SUCCEEDED' && state !== 'FAILED' && state !== 'CANCELED') {
    throw new ApiError('unsupportedOperation', `The fine-tune job ${j.jobId} is ${state}; cancel it before deleting it.`);
  }
  env.fineTunes.delete(j.jobId);
  sendJson(ctx, 200, { request_id: ctx.requestId, output: { job_id: j.jobId, status: 'DELETED' } });
}
