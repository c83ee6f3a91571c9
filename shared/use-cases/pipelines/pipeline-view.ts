// What apps see of a pipeline: its steps and outputs (each with a URL that serves it for SIGNED_URL_TTL_S),
// never its lease or internal fields; and the lookup that answers another tenant's id as unknown.
import type { Pipeline, PipelineError, PipelineStatus, StepStatus } from '../../domain/pipeline.ts';
import { canSee, type Principal } from '../../domain/tenant.ts';
import type { ObjectStore } from '../../ports/object-store.ts';
import type { PipelineStore } from '../../ports/pipeline-store.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { UnknownPipelineError } from './pipeline-errors.ts';

export const PIPELINE_ID_MAX_CHARS = 128;

export interface PipelineView {
  id: string;
  object: 'pipeline';
  topic: string;
  language: string;
  style: string;
  status: PipelineStatus;
  steps: { name: string; status: StepStatus; taskId?: string; error?: { code: string; message: string } }[];
  outputs: { name: string; key: string; url: string; contentType: string; bytes: number; sha256: string }[];
  error: PipelineError | null;
  createdAt: string;
  updatedAt: string;
}

export async function toPipelineView(p: Pipeline, objects: Pick<ObjectStore, 'url'>, ttlSeconds: number): Promise<PipelineView> {
  return {
    id: p.id,
    object: 'pipeline',
    topic: p.topic,
    language: p.language,
    style: p.style,
    status: p.status,
    steps: p.steps.map((s) => ({ name: s.name, status: s.status, ...(s.taskId ? { taskId: s.taskId } : {}), ...(s.error ? { error: { code: s.error.code, message: s.error.message } } : {}) })),
    outputs: await Promise.all(p.outputs.map(async (o) => ({ name: o.name, key: o.key, url: await objects.url(o.key, ttlSeconds), contentType: o.contentType, bytes: o.bytes, sha256: o.sha256 }))),
    error: p.error ?? null,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

/** The pipeline, if `viewer` may see it; another tenant's is refused exactly as an id that does not exist. */
export async function getPipelineOr404(pipelines: Pick<PipelineStore, 'get'>, id: string, viewer: Pick<Principal, 'tenant' | 'role'>): Promise<Pipeline> {
  if (id.length > PIPELINE_ID_MAX_CHARS) throw new InvalidRequestError('invalid_pipeline_id', `pipeline id in the path: must be at most ${PIPELINE_ID_MAX_CHARS} characters`, 'id');
  const p = /^[A-Za-z0-9_-]{1,128}$/.test(id) ? await pipelines.get(id) : undefined;
  if (!p || !canSee(viewer, p.tenant)) throw new UnknownPipelineError(id);
  return p;
}
