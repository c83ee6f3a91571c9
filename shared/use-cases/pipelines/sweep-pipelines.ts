// The timer's part in pipelines: each unfinished pipeline whose due time passed (its queued event lost, a task
// event lost, an article attempt to retry, an article writer that died) gets a pipeline.due event, and the
// pipeline's event trigger does the work. The sweep itself stays cheap: one query and one publish.
import type { PipelineDeps } from './pipeline-deps.ts';
import { pipelineEvent } from './pipeline-events.ts';

export const SWEEP_LIMIT = 100;

export async function sweepPipelines(deps: Pick<PipelineDeps, 'pipelines' | 'events' | 'clock' | 'logger'>, limit = SWEEP_LIMIT): Promise<number> {
  const now = deps.clock.now();
  const due = await deps.pipelines.listDue(now, limit);
  if (due.length === 0) return 0;
  await deps.events.publish(due.map((p) => pipelineEvent(p, 'pipeline.due', now)));
  deps.logger.info('pipelines due', { count: due.length });
  return due.length;
}
