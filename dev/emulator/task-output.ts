// The body of `GET /api/v1/tasks/{id}` for each state, as DashScope shapes it: times in UTC+8, image
// `task_metrics` and DataInspectionFailed items, video usage keys by model generation, FAILED in `output`.
import { formatUtc8 } from './clock.ts';
import type { EmulatorEnv } from './env.ts';
import { imagePath, videoPath } from './media.ts';
import type { TaskRecord, TaskState } from './task-store.ts';

const INSPECTION = { code: 'DataInspectionFailed', message: 'Output data may contain inappropriate content.' };

export const actualPrompt = (prompt: string) => `${prompt}, rich detail, soft natural light, balanced composition, high quality`;

function resolutionSR(t: TaskRecord): number {
  const tier = /^(\d+)P$/.exec(t.size)?.[1];
  if (tier) return Number(tier);
  const [w, h] = t.size.split('*').map(Number);
  return Math.min(w ?? 720, h ?? 720) >= 1080 ? 1080 : Math.min(w ?? 720, h ?? 720) >= 720 ? 720 : 480;
}

function videoUsage(t: TaskRecord): Record<string, unknown> {
  if (t.model.id.startsWith('wan2.6')) {
    return { duration: t.durationS, size: t.size, input_video_duration: 0, output_video_duration: t.durationS, SR: resolutionSR(t), video_count: 1 };
  }
  if (t.model.kind === 'image-to-video') return { duration: t.durationS, SR: resolutionSR(t), video_count: 1 };
  return { video_duration: t.durationS, video_ratio: t.size, video_count: 1 };
}

export function taskBody(t: TaskRecord, state: TaskState, env: EmulatorEnv, requestId: string): Record<string, unknown> {
  if (state === 'UNKNOWN') return { request_id: requestId, output: { task_id: t.taskId, task_status: 'UNKNOWN' } };
  const isImage = t.model.kind === 'text-to-image';
  const output: Record<string, unknown> = { task_id: t.taskId, task_status: state, submit_time: formatUtc8(t.createdAt) };
  if (state !== 'PENDING' && state !== 'CANCELED') output.scheduled_time = formatUtc8(t.runAt);
  if (state === 'CANCELED') output.end_time = formatUtc8(t.canceledAt!);
  if (state === 'SUCCEEDED' || state === 'FAILED') output.end_time = formatUtc8(t.endAt);
  const failedImages = state === 'SUCCEEDED' ? Math.min(t.partialFailed, t.n) : state === 'FAILED' ? t.n : 0;
  const body: Record<string, unknown> = { request_id: requestId, output };
  if (state === 'FAILED') {
    output.code = t.failure!.code;
    output.message = t.failure!.message;
  }
  if (state === 'SUCCEEDED') {
    const expires = t.endAt + env.options.resultTtlMs;
    const prompts = { orig_prompt: t.prompt, ...(t.promptExtend && !t.model.id.startsWith('wan2.6') ? { actual_prompt: actualPrompt(t.prompt) } : {}) };
    if (isImage) {
      const [w, h] = t.size.split('*').map(Number) as [number, number];
      output.results = Array.from({ length: t.n }, (_, i) =>
        i < failedImages ? { ...INSPECTION } : { ...prompts, url: env.results.url(env.origin(), imagePath(w, h, `${t.taskId}-${i}`), expires) },
      );
      body.usage = { image_count: t.n - failedImages };
    } else {
      output.video_url = env.results.url(env.origin(), videoPath(t.videoBytes, t.durationS, t.taskId), expires);
      Object.assign(output, prompts);
      body.usage = videoUsage(t);
    }
  }
  if (isImage) {
    const done = state === 'SUCCEEDED' || state === 'FAILED';
    output.task_metrics = { TOTAL: t.n, SUCCEEDED: done ? t.n - failedImages : 0, FAILED: done ? failedImages : 0 };
  }
  return body;
}
