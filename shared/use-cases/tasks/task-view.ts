// The public shape of a task (`GET /v1/tasks/{id}`): persisted outputs carry a URL the app can fetch
// (signed in the cloud, served by the runtime locally); internal bookkeeping (leases, due times) stays out.
import type { Task, TaskError } from '../../domain/task.ts';
import type { ObjectStore } from '../../ports/object-store.ts';

export interface OutputView {
  index: number;
  key?: string;
  url?: string;
  contentType?: string;
  bytes?: number;
  sha256?: string;
  error?: TaskError;
}

export interface TaskView {
  id: string;
  type: Task['type'];
  model: string;
  status: Task['status'];
  outputs: OutputView[];
  /** A fine-tune's result: the fine-tuned model id. */
  fineTunedModel?: string;
  usage?: Record<string, unknown>;
  cost?: Task['cost'];
  error?: TaskError;
  metadata?: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export async function toTaskView(task: Task, objects: Pick<ObjectStore, 'url'>, ttlSeconds: number): Promise<TaskView> {
  const outputs = await Promise.all(
    task.outputs
      .filter((o) => o.key || o.error)
      .map(async (o): Promise<OutputView> => ({
        index: o.index,
        ...(o.key ? { key: o.key, url: await objects.url(o.key, ttlSeconds) } : {}),
        ...(o.contentType ? { contentType: o.contentType } : {}),
        ...(o.bytes !== undefined ? { bytes: o.bytes } : {}),
        ...(o.sha256 ? { sha256: o.sha256 } : {}),
        ...(o.error ? { error: o.error } : {}),
      })),
  );
  return {
    id: task.id,
    type: task.type,
    model: task.model,
    status: task.status,
    outputs,
    ...(task.fineTunedModel ? { fineTunedModel: task.fineTunedModel } : {}),
    ...(task.usage ? { usage: task.usage } : {}),
    ...(task.cost ? { cost: task.cost } : {}),
    ...(task.error ? { error: task.error } : {}),
    ...(task.metadata ? { metadata: task.metadata } : {}),
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
  };
}
