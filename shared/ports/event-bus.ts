// EventBus: domain events out (EventBridge in the cloud, an in-process bus locally). Events are CloudEvents
// 1.0 with a stable id, so a consumer drops duplicates on (source, id).
export const EVENT_SOURCE = 'dashscope-fc';

export type DomainEventType =
  | 'task.submitted'
  | 'task.succeeded'
  | 'task.failed'
  | 'task.canceled'
  | 'task.expired'
  | 'task.persisted'
  | 'budget.threshold'
  | 'pipeline.queued'
  | 'pipeline.due'
  | 'pipeline.completed'
  | 'pipeline.failed';

export interface DomainEvent<T = Record<string, unknown>> {
  specversion: '1.0';
  /** Stable for the fact it describes (e.g. `<taskId>.task.persisted`): re-publishing it is harmless. */
  id: string;
  source: typeof EVENT_SOURCE;
  type: DomainEventType;
  /** What it is about: the task id, the pipeline id, or the budget (`global`, `tenant:<name>`). */
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: T;
}

export class EventPublishError extends Error {
  override name = 'EventPublishError';
}

export interface EventBus {
  /** Publishes the events; throws EventPublishError if any could not be accepted. */
  publish(events: DomainEvent[]): Promise<void>;
}
