// The pipeline's events: queued (the work starts), due (the timer's sweep asks for a look), completed and
// failed. Each has a stable id for the fact it states, so consumers drop duplicates on (source, id).
import type { Pipeline } from '../../domain/pipeline.ts';
import { EVENT_SOURCE, type DomainEvent, type DomainEventType } from '../../ports/event-bus.ts';

export type PipelineEventType = Extract<DomainEventType, `pipeline.${string}`>;
export const PIPELINE_EVENT_TYPES: readonly PipelineEventType[] = ['pipeline.queued', 'pipeline.due', 'pipeline.completed', 'pipeline.failed'];

/** `due` events name the version they were raised for: a later sweep of an unchanged pipeline repeats the id. */
export function pipelineEvent(p: Pipeline, type: PipelineEventType, time: Date): DomainEvent {
  return {
    specversion: '1.0',
    id: type === 'pipeline.due' ? `${p.id}.${type}.${p.version}` : `${p.id}.${type}`,
    source: EVENT_SOURCE,
    type,
    subject: p.id,
    time: time.toISOString(),
    datacontenttype: 'application/json',
    data: {
      pipelineId: p.id,
      tenant: p.tenant,
      status: p.status,
      ...(type === 'pipeline.completed' ? { outputs: p.outputs.map((o) => ({ name: o.name, key: o.key, bytes: o.bytes, sha256: o.sha256 })) } : {}),
      ...(p.error ? { error: p.error } : {}),
    },
  };
}
