// submit-task's EventBridge triggers for pipelines: a pipeline's own events and its media tasks' terminal
// events each advance it here, outside any HTTP request (the article call can take many seconds). A failure
// a retry may fix fails the invocation, so the event is delivered again; the timer's sweep backs that up.
import type { Logger } from '../../shared/log/logger.ts';
import type { EventHandler } from '../../shared/runtime/fc.ts';
import type { PipelineDeps } from '../../shared/use-cases/pipelines/pipeline-deps.ts';
import { onPipelineEvent, pipelineIdOf } from '../../shared/use-cases/pipelines/pipeline-trigger.ts';

/** Handles the event if it is a pipeline's; undefined (not handled) otherwise. */
export function createPipelineHandler(deps: PipelineDeps, log: Logger): (event: Buffer, context: Parameters<EventHandler>[1]) => Promise<unknown> | undefined {
  return (event, context) => {
    const about = pipelineIdOf(event);
    if (!about) return undefined;
    const logger = log.child({ requestId: context.requestId, pipelineId: about.pipelineId });
    return onPipelineEvent({ ...deps, logger }, about.pipelineId, context.requestId, about.taskId).then((outcome) => {
      logger.info('pipeline event handled', { eventType: about.eventType, outcome: outcome.kind });
      return { pipelineId: about.pipelineId, event: about.eventType, outcome: outcome.kind, ...('pipeline' in outcome ? { status: outcome.pipeline.status } : {}) };
    });
  };
}
