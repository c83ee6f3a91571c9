// Native async task endpoints: create text-to-image, text-to-video and image-to-video tasks (always with
// `X-DashScope-Async: enable`), query, cancel (only while PENDING) and list, the last three under 20 QPS.
import { z } from 'zod';
import { findModel, type ImageModel, type VideoModel } from '../../shared/catalog/catalog.ts';
import { describeZodIssue } from './chat-rules.ts';
import { parseCompactUtc8 } from './clock.ts';
import { sendJson, type RequestContext } from './context.ts';
import type { EmulatorEnv } from './env.ts';
import { ApiError, invalidParameter, MESSAGES } from './errors.ts';
import { taskBody } from './task-output.ts';
import type { TaskSpec } from './task-store.ts';

const createSchema = z.looseObject({
  model: z.string({ error: 'Field required' }).min(1),
  input: z.looseObject({
    prompt: z.string().optional(),
    negative_prompt: z.string().max(500, 'Range of input.negative_prompt length should be [0, 500]').optional(),
    img_url: z.string().optional(),
  }),
  parameters: z
    .looseObject({
      size: z.string().optional(),
      resolution: z.string().optional(),
      n: z.number().int().optional(),
      duration: z.number().int().optional(),
      seed: z.number().int().min(0).max(2_147_483_647).optional(),
      prompt_extend: z.boolean().optional(),
    })
    .optional(),
});

const DEFAULT_FAILURE = { code: 'InternalError.Algo', message: 'An internal error has occured during execution, please try again later or contact service support.' };

function requireAsync(ctx: RequestContext): void {
  if (String(ctx.req.headers['x-dashscope-async'] ?? '').toLowerCase() !== 'enable') {
    throw new ApiError('accessDenied', MESSAGES.syncNotSupported);
  }
}

function parseCreate(ctx: RequestContext) {
  if (typeof ctx.body === 'object' && ctx.body !== null && !('model' in ctx.body)) {
    throw new ApiError('invalidParameter', 'Required parameter(s) missing or invalid, please check the request parameters: model', { nativeCode: 'BadRequest.EmptyModel' });
  }
  if (typeof ctx.body === 'object' && ctx.body !== null && !('input' in ctx.body)) {
    throw new ApiError('invalidParameter', 'Required parameter(s) missing or invalid, please check the request parameters: input', { nativeCode: 'BadRequest.EmptyInput' });
  }
  const parsed = createSchema.safeParse(ctx.body);
  if (!parsed.success) throw invalidParameter(describeZodIssue(parsed.error).message);
  return parsed.data;
}

export function createImageTask(ctx: RequestContext, env: EmulatorEnv): void {
  requireAsync(ctx);
  const body = parseCreate(ctx);
  ctx.entry.model = body.model;
  const model = findModel(body.model);
  if (!model || model.kind !== 'text-to-image') throw invalidParameter(MESSAGES.modelNotExist);
  const p = body.parameters ?? {};
  const n = p.n ?? 4;
  if (n < 1 || n > model.maxImages) throw invalidParameter(`Range of n should be [1, ${model.maxImages}]`, 'parameters.n');
  const size = p.size ?? '1024*1024';
  const m = /^(\d+)\*(\d+)$/.exec(size);
  if (!m || [m[1], m[2]].some((v) => Number(v) < 512 || Number(v) > 1440)) {
    throw invalidParameter(`The size '${size}' is invalid: width and height must be in [512, 1440], written as W*H`, 'parameters.size');
  }
  submit(ctx, env, model, { n, size, durationS: 0 }, body.input.prompt, p.prompt_extend);
}

export function createVideoTask(ctx: RequestContext, env: EmulatorEnv): void {
  requireAsync(ctx);
  const body = parseCreate(ctx);
  ctx.entry.model = body.model;
  const model = findModel(body.model);
  if (!model || (model.kind !== 'text-to-video' && model.kind !== 'image-to-video')) throw invalidParameter(MESSAGES.modelNotExist);
  const p = body.parameters ?? {};
  const i2v = model.kind === 'image-to-video';
  const size = (i2v ? p.resolution : p.size) ?? model.defaultSize;
  if (!model.sizes.includes(size)) {
    const name = i2v ? 'resolution' : 'size';
    throw invalidParameter(`The ${name} '${size}' is invalid for ${model.id}; use one of: ${model.sizes.join(', ')}`, `parameters.${name}`);
  }
  const durationS = p.duration ?? model.defaultDuration;
  if (!model.durations.includes(durationS)) {
    throw invalidParameter(`The duration ${durationS} is invalid for ${model.id}; use one of: ${model.durations.join(', ')}`, 'parameters.duration');
  }
  let failure: TaskSpec['failure'];
  if (i2v && !body.input.img_url) failure = { code: 'InvalidParameter', message: 'Field required: input.img_url' };
  else if (i2v && !/^(https?:\/\/|oss:\/\/|data:image\/)/.test(body.input.img_url!)) {
    failure = { code: 'InvalidParameter.FileDownload', message: 'Failed to download the input image: unsupported URL.' };
  }
  submit(ctx, env, model, { n: 1, size, durationS, ...(failure ? { failure } : {}) }, body.input.prompt ?? (i2v ? '' : undefined), p.prompt_extend);
}

function submit(
  ctx: RequestContext,
  env: EmulatorEnv,
  model: ImageModel | VideoModel,
  shape: { n: number; size: string; durationS: number; failure?: TaskSpec['failure'] },
  prompt: string | undefined,
  promptExtend: boolean | undefined,
): void {
  env.limits.admitSubmit(model);
  const partial = Math.min(ctx.plan.partialFailure ?? 0, shape.n);
  const injected = ctx.plan.taskFail ? { code: ctx.plan.taskFail.code ?? DEFAULT_FAILURE.code, message: ctx.plan.taskFail.message ?? DEFAULT_FAILURE.message } : undefined;
  const failure =
    (prompt === undefined ? { code: 'InvalidParameter', message: 'Field required: input.prompt' } : undefined) ??
    shape.failure ??
    injected ??
    (model.kind === 'text-to-image' && partial >= shape.n ? { code: 'DataInspectionFailed', message: 'Output data may contain inappropriate content.' } : undefined);
  const kind = model.kind === 'text-to-image' ? 'image' : 'video';
  const limits = env.limits.limits(model);
  const task = env.tasks.create(
    {
      model, requestId: ctx.requestId, prompt: (prompt ?? '').slice(0, 1500), promptExtend: promptExtend ?? true,
      n: shape.n, size: shape.size, durationS: shape.durationS, videoBytes: env.options.videoBytes,
      partialFailed: model.kind === 'text-to-image' ? partial : 0, ...(failure ? { failure } : {}),
    },
    env.options.taskTimings[kind],
    limits.concurrentTasks,
  );
  sendJson(ctx, 200, { request_id: ctx.requestId, output: { task_status: 'PENDING', task_id: task.taskId } });
}

export function getTask(ctx: RequestContext, env: EmulatorEnv): void {
  env.limits.admitTaskQuery();
  const id = ctx.params.id!;
  const task = env.tasks.get(id);
  if (!task) {
    sendJson(ctx, 200, { request_id: ctx.requestId, output: { task_id: id, task_status: 'UNKNOWN' } });
    return;
  }
  ctx.entry.model = task.model.id;
  sendJson(ctx, 200, taskBody(task, env.tasks.stateOf(task), env, ctx.requestId));
}

export function cancelTask(ctx: RequestContext, env: EmulatorEnv): void {
  env.limits.admitTaskQuery();
  const task = env.tasks.get(ctx.params.id!);
  if (task) ctx.entry.model = task.model.id;
  if (!task || !env.tasks.cancel(task)) throw new ApiError('unsupportedOperation', MESSAGES.cancelNotPending);
  sendJson(ctx, 200, { request_id: ctx.requestId });
}

export function listTasks(ctx: RequestContext, env: EmulatorEnv): void {
  env.limits.admitTaskQuery();
  const q = ctx.query;
  const now = env.clock.nowMs();
  const time = (name: string, fallback: number) => {
    const v = q.get(name);
    if (!v) return fallback;
    const ms = parseCompactUtc8(v);
    if (ms === undefined) throw invalidParameter(`${name} must be written YYYYMMDDhhmmss`, name);
    return ms;
  };
  const end = time('end_time', now);
  const start = time('start_time', end - 24 * 3600_000);
  if (end < start || end - start > 24 * 3600_000) throw invalidParameter('The time range between start_time and end_time must be within 24 hours.');
  const pageNo = Math.max(1, Number(q.get('page_no') ?? 1) || 1);
  const pageSize = Math.min(100, Math.max(1, Number(q.get('page_size') ?? 10) || 10));
  const matching = env.tasks
    .all()
    .filter((t) => t.createdAt >= start && t.createdAt <= end && (!q.get('model_name') || t.model.id === q.get('model_name')))
    .map((t) => ({ t, state: env.tasks.stateOf(t, now) }))
    .filter(({ state }) => state !== 'UNKNOWN' && (!q.get('status') || state === q.get('status')))
    .sort((a, b) => b.t.createdAt - a.t.createdAt);
  const data = matching.slice((pageNo - 1) * pageSize, pageNo * pageSize).map(({ t, state }) => ({
    api_key_id: 'emulator-key', caller_uid: 'emulator', end_time: ['SUCCEEDED', 'FAILED'].includes(state) ? t.endAt : state === 'CANCELED' ? t.canceledAt! : null,
    gmt_create: t.createdAt, model_name: t.model.id, region: 'cn-beijing', request_id: t.requestId,
    start_time: state === 'PENDING' || state === 'CANCELED' ? null : t.runAt, status: state, task_id: t.taskId,
  }));
  sendJson(ctx, 200, {
    request_id: ctx.requestId, total: matching.length, total_page: Math.ceil(matching.length / pageSize), page_no: pageNo, page_size: pageSize, data,
  });
}
