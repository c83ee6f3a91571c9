// What moves a pipeline, as the event triggers deliver it: its own events (queued, due) and the terminal events
// of the media tasks it submitted (their metadata names the pipeline). Anything else is not for us.
import { z } from 'zod';
import { parseJson } from '../../json/parse-json.ts';
import { advancePipeline, republishFinished, type AdvanceOutcome } from './advance-pipeline.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

/** Task events that can move a pipeline: its media task finished one way or another. */
export const PIPELINE_TASK_EVENTS = ['task.persisted', 'task.failed', 'task.canceled', 'task.expired'] as const;

const cloudEventSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.literal('dashscope-fc'),
  type: z.string(),
  data: z.looseObject({ pipelineId: z.string().max(128).optional(), taskId: z.string().max(128).optional(), metadata: z.record(z.string(), z.string()).optional() }),
});

/** The pipeline an event is about, or undefined when the event is not a pipeline's (or not an event of ours). */
export function pipelineIdOf(payload: Buffer | string): { pipelineId: string; eventType: string; taskId?: string } | undefined {
  let raw: unknown;
  try {
    raw = parseJson(payload);
  } catch {
    return undefined;
  }
  const e = cloudEventSchema.safeParse(raw);
  if (!e.success) return undefined;
  const { type, data } = e.data;
  if (type === 'pipeline.queued' || type === 'pipeline.due') return data.pipelineId ? { pipelineId: data.pipelineId, eventType: type } : undefined;
  if ((PIPELINE_TASK_EVENTS as readonly string[]).includes(type) && data.metadata?.['pipelineId'] && data.taskId) return { pipelineId: data.metadata['pipelineId'], eventType: type, taskId: data.taskId };
  return undefined;
}

/**
 * Advances the pipeline an event names; a late event of a finished one re-announces how it ended. A task event
 * (`taskId`) counts only when the task is one of the pipeline's steps: a task's metadata is its submitter's to
 * write, so naming another tenant's pipeline there moves nothing (the sweep still catches a step's own event that
 * came before the step recorded its task).
 */
export async function onPipelineEvent(deps: PipelineDeps, pipelineId: string, requestId: string, taskId?: string): Promise<AdvanceOutcome> {
  if (taskId !== undefined) {
    const p = await deps.pipelines.get(pipelineId);
    if (!p || !p.steps.some((s) => s.taskId === taskId)) return { kind: 'unknown' };
  }
  const outcome = await advancePipeline(deps, pipelineId, requestId);
  if (outcome.kind === 'finished') await republishFinished(deps, outcome.pipeline);
  return outcome;
}
