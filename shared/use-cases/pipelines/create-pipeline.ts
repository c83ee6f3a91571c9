// createPipeline: a validated request becomes a QUEUED pipeline owned by the caller's tenant, and the event that
// starts its work elsewhere. Nothing slow happens here: the article and the media run on the events.
import { initialSteps, type Pipeline } from '../../domain/pipeline.ts';
import type { Principal } from '../../domain/tenant.ts';
import type { PipelineRequest } from './pipeline-request.ts';
import { pipelineEvent } from './pipeline-events.ts';
import { pipelineTimings, type PipelineDeps } from './pipeline-deps.ts';

export async function createPipeline(deps: Pick<PipelineDeps, 'pipelines' | 'events' | 'clock' | 'ids' | 'logger' | 'config' | 'timings'>, request: PipelineRequest, principal: Pick<Principal, 'tenant'>): Promise<Pipeline> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const row: Pipeline = {
    id: deps.ids.next('pipe'),
    tenant: principal.tenant,
    topic: request.topic,
    language: request.language,
    style: request.style,
    status: 'QUEUED',
    steps: initialSteps(),
    outputs: [],
    version: 1,
    // if the queued event is lost, the timer's sweep starts it
    dueAt: new Date(now.getTime() + pipelineTimings(deps).sweepAfterMs).toISOString(),
    createdAt: at,
    updatedAt: at,
  };
  const created = await deps.pipelines.put(row, 0);
  deps.logger.info('pipeline queued', { pipelineId: created.id, tenant: created.tenant, language: created.language, style: created.style });
  try {
    await deps.events.publish([pipelineEvent(created, 'pipeline.queued', now)]);
  } catch (error) {
    // the pipeline stands; the sweep finds it when it falls due
    deps.logger.warn('pipeline.queued not published; the timer will start it', { pipelineId: created.id, error });
  }
  return created;
}
