// DashScope's native async task API on the layer: a create body (`{model, input, parameters}` at the image or
// video synthesis path) as a task request, and a task as `GET /api/v1/tasks/{id}` answers it.
import { findModel } from '../../catalog/catalog.ts';
import type { Task, TaskStatus } from '../../domain/task.ts';
import type { ObjectStore } from '../../ports/object-store.ts';
import { clip } from '../../text/clip.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { parseTaskRequest, type SubmittableType, type TaskRequest } from './task-request.ts';

/** The native create paths and the task types each takes (the model says which). */
export const NATIVE_SYNTHESIS: Readonly<Record<'image-synthesis' | 'video-synthesis', readonly SubmittableType[]>> = {
  'image-synthesis': ['text-to-image'],
  'video-synthesis': ['text-to-video', 'image-to-video'],
};
export type NativeSynthesis = keyof typeof NATIVE_SYNTHESIS;

const BODY_KEYS = ['model', 'input', 'parameters'];

/** A native create body as the task request it is; the model picks the type, the task request's rules apply. */
export function fromNativeTaskRequest(synthesis: NativeSynthesis, body: unknown): TaskRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidRequestError('invalid_request', 'body: expected a JSON object');
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).find((k) => !BODY_KEYS.includes(k));
  if (extra !== undefined) throw new InvalidRequestError('invalid_request', `body: unknown field '${clip(extra, 40)}'; expected ${BODY_KEYS.join(', ')}`, clip(extra, 40));
  if (typeof b.model !== 'string' || b.model === '') throw new InvalidRequestError('invalid_request', 'model: required, a model id', 'model');
  const allowed = NATIVE_SYNTHESIS[synthesis];
  const kind = findModel(b.model)?.kind;
  // an unknown model or one of another kind is named by the task request's own check, for the path's first type
  const type = (allowed as readonly string[]).includes(kind ?? '') ? (kind as SubmittableType) : allowed[0]!;
  return parseTaskRequest({ type, model: b.model, input: b.input, ...(b.parameters !== undefined ? { parameters: b.parameters } : {}) });
}

/** DashScope's task statuses, and UNKNOWN: what DashScope answers for an id it does not know. */
export type NativeTaskStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'UNKNOWN';

/**
 * The layer's status as DashScope's. SUCCEEDED is still RUNNING: until the outputs are in the bucket the only
 * URLs are DashScope's expiring ones, which a client must never get. EXPIRED (results lost) is FAILED.
 */
export const NATIVE_STATUS: Readonly<Record<TaskStatus, NativeTaskStatus>> = {
  QUEUED: 'PENDING',
  PENDING: 'PENDING',
  RUNNING: 'RUNNING',
  SUCCEEDED: 'RUNNING',
  PERSISTED: 'SUCCEEDED',
  FAILED: 'FAILED',
  CANCELED: 'CANCELED',
  EXPIRED: 'FAILED',
};

/** `YYYY-MM-DD HH:mm:ss.SSS` in UTC+8 without an offset, as DashScope writes its task times. */
export function utc8(iso: string): string {
  return new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().replace('T', ' ').replace('Z', '');
}

export interface NativeTaskBody {
  request_id: string;
  output: Record<string, unknown> & { task_id: string; task_status: NativeTaskStatus };
  usage?: Record<string, unknown>;
}

/** DashScope's answer for an id it does not know: also another tenant's task, so an id tells nothing. */
export function unknownNativeTask(taskId: string, requestId: string): NativeTaskBody {
  return { request_id: requestId, output: { task_id: taskId, task_status: 'UNKNOWN' } };
}

/** The task as DashScope's `GET /api/v1/tasks/{id}` answers it, the result URLs being the layer's own copies. */
export async function toNativeTask(task: Task, objects: Pick<ObjectStore, 'url'>, ttlSeconds: number, requestId: string): Promise<NativeTaskBody> {
  const status = NATIVE_STATUS[task.status];
  const output: NativeTaskBody['output'] = { task_id: task.id, task_status: status, submit_time: utc8(task.createdAt) };
  if (status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELED') output.end_time = utc8(task.updatedAt);
  if (status === 'FAILED' && task.error) Object.assign(output, { code: task.error.code, message: task.error.message });
  const body: NativeTaskBody = { request_id: requestId, output };
  if (status === 'SUCCEEDED') {
    const results = await Promise.all(
      [...task.outputs]
        .sort((a, b) => a.index - b.index)
        .map(async (o) => (o.key ? { url: await objects.url(o.key, ttlSeconds) } : { code: o.error?.code ?? 'NoResult', message: o.error?.message ?? 'no result' })),
    );
    const prompt = typeof task.input.prompt === 'string' ? { orig_prompt: task.input.prompt } : {};
    if (task.type === 'text-to-video' || task.type === 'image-to-video') {
      const video = results.find((r): r is { url: string } => 'url' in r);
      if (video) output.video_url = video.url;
      Object.assign(output, prompt);
    } else {
      // images as DashScope lists them; any other output (speech, made through /v1/tasks) in the same list
      output.results = results.map((r) => ('url' in r ? { ...prompt, ...r } : r));
      const ok = results.filter((r) => 'url' in r).length;
      if (task.type === 'text-to-image') output.task_metrics = { TOTAL: results.length, SUCCEEDED: ok, FAILED: results.length - ok };
    }
  }
  if (task.usage && (status === 'SUCCEEDED' || status === 'FAILED')) body.usage = task.usage;
  return body;
}
