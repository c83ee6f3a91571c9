// The one way a task changes status: a conditional write checked against the transition table, then its
// event. A lost write is a TaskConflictError and publishes nothing; a failed publish is an EventPublishError.
import { canTransition, type Task, type TaskStatus } from '../domain/task.ts';
import { EVENT_SOURCE, type DomainEvent, type DomainEventType, type EventBus } from '../ports/event-bus.ts';
import type { TaskPatch, TaskStore } from '../ports/task-store.ts';
import type { Clock } from '../ports/clock.ts';

export class IllegalTransitionError extends Error {
  override name = 'IllegalTransitionError';
  constructor(readonly taskId: string, readonly from: TaskStatus, readonly to: TaskStatus) {
    super(`task ${taskId} cannot move from ${from} to ${to}`);
  }
}

const EVENT_FOR: Partial<Record<TaskStatus, DomainEventType>> = {
  PENDING: 'task.submitted',
  SUCCEEDED: 'task.succeeded',
  FAILED: 'task.failed',
  CANCELED: 'task.canceled',
  EXPIRED: 'task.expired',
  PERSISTED: 'task.persisted',
};

export function taskEvent(task: Task, type: DomainEventType, time: Date): DomainEvent {
  return {
    specversion: '1.0',
    id: `${task.id}.${type}`,
    source: EVENT_SOURCE,
    type,
    subject: task.id,
    time: time.toISOString(),
    datacontenttype: 'application/json',
    data: {
      taskId: task.id,
      type: task.type,
      model: task.model,
      status: task.status,
      ...(task.metadata ? { metadata: task.metadata } : {}),
      ...(task.error ? { error: task.error } : {}),
      ...(task.status === 'PERSISTED' ? { outputs: task.outputs.filter((o) => o.key).map(({ index, key, contentType, bytes, sha256 }) => ({ index, key, contentType, bytes, sha256 })) } : {}),
      ...(task.cost ? { cost: task.cost } : {}),
    },
  };
}

export interface TransitionDeps {
  tasks: TaskStore;
  events: EventBus;
  clock: Clock;
}

/** Moves `task` (as read, at its version) to `to` with `patch`; returns the new row. */
export async function transitionTask(deps: TransitionDeps, task: Task, to: TaskStatus, patch: TaskPatch = {}): Promise<Task> {
  if (!canTransition(task.status, to)) throw new IllegalTransitionError(task.id, task.status, to);
  const now = deps.clock.now();
  const next = await deps.tasks.update(task.id, task.version, { ...patch, status: to }, now);
  const type = EVENT_FOR[to];
  // a failed publish leaves the transition standing: the event id is stable, so a retry that re-publishes is
  // deduplicated downstream
  if (type) await deps.events.publish([taskEvent(next, type, now)]);
  return next;
}

/** Re-publishes the event of a status already reached (idempotent thanks to the stable id). */
export async function republishTaskEvent(deps: TransitionDeps, task: Task): Promise<void> {
  const type = EVENT_FOR[task.status];
  if (type) await deps.events.publish([taskEvent(task, type, deps.clock.now())]);
}
