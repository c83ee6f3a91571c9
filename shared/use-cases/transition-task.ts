// The one way a task changes status: a conditional write checked against the transition table, then its
// event. A lost write is a TaskConflictError and publishes nothing; a failed publish is an EventPublishError.
import { canTransition, type Task, type TaskStatus } from '../domain/task.ts';
import { EVENT_SOURCE, type DomainEvent, type DomainEventType, type EventBus } from '../ports/event-bus.ts';
import type { TaskPatch, TaskStore } from '../ports/task-store.ts';
import type { Clock } from '../ports/clock.ts';
import { toMicros } from '../domain/ledger.ts';
import { LOCAL_OPEN_TENANT } from '../domain/tenant.ts';
import type { Logger } from '../log/logger.ts';
import type { Bill, Guard } from './guards/guard.ts';

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
      ...(task.fineTunedModel ? { fineTunedModel: task.fineTunedModel } : {}),
      ...(task.cost ? { cost: task.cost } : {}),
    },
  };
}

export interface TransitionDeps {
  tasks: TaskStore;
  events: EventBus;
  clock: Clock;
  /** Bills a task DashScope finished, once, and releases the reservation of one that failed (absent: nothing billed). */
  guard?: Pick<Guard, 'settle'>;
  logger?: Pick<Logger, 'error'>;
}

/** What a task DashScope finished cost: its computed cost, with the usage figures that priced it. */
export function taskBill(task: Task): Bill {
  const units: Record<string, number> = {};
  for (const [k, v] of Object.entries(task.usage ?? {})) if (typeof v === 'number' && Number.isFinite(v)) units[k] = v;
  if (!task.cost) units.unpriced = 1;
  return { kind: 'task', costMicros: task.cost ? toMicros(task.cost.amount) : 0, units, upstreamRef: task.dashscopeTaskId ?? task.id };
}

/**
 * Settles the task's reservation at a status change: DashScope bills a task it finished (SUCCEEDED, and what
 * follows it), so that is recorded (once, whichever process gets there first); a task that never got there
 * (failed, canceled, expired before finishing) costs nothing, unless it failed with a cost recorded.
 */
async function billTransition(deps: TransitionDeps, from: TaskStatus, task: Task): Promise<void> {
  if (!deps.guard) return;
  // a task that failed with a cost had parts DashScope made and billed (a speech task's synthesised parts)
  const billed = from === 'SUCCEEDED' || task.status === 'SUCCEEDED' || task.status === 'PERSISTED' || (task.status === 'FAILED' && task.cost !== undefined);
  const ended = billed || task.status === 'FAILED' || task.status === 'CANCELED' || task.status === 'EXPIRED';
  if (!ended) return;
  try {
    await deps.guard.settle(`task:${task.id}`, task.tenant ?? LOCAL_OPEN_TENANT, task.model, billed ? taskBill(task) : undefined);
  } catch (e) {
    // the status change stands; the task's next step (persist, a redrive, a re-published event) settles again,
    // and a reservation nobody settles expires
    deps.logger?.error('task cost not recorded', { taskId: task.id, status: task.status, error: e });
  }
}

/** Moves `task` (as read, at its version) to `to` with `patch`; returns the new row. */
export async function transitionTask(deps: TransitionDeps, task: Task, to: TaskStatus, patch: TaskPatch = {}): Promise<Task> {
  if (!canTransition(task.status, to)) throw new IllegalTransitionError(task.id, task.status, to);
  const now = deps.clock.now();
  const next = await deps.tasks.update(task.id, task.version, { ...patch, status: to }, now);
  // billed before the event goes out, so a consumer of task.succeeded finds the cost in the ledger
  await billTransition(deps, task.status, next);
  const type = EVENT_FOR[to];
  // a failed publish leaves the transition standing: the event id is stable, so a retry that re-publishes is
  // deduplicated downstream
  if (type) await deps.events.publish([taskEvent(next, type, now)]);
  return next;
}

/** Re-publishes the event of a status already reached (idempotent thanks to the stable id). */
export async function republishTaskEvent(deps: TransitionDeps, task: Task): Promise<void> {
  await billTransition(deps, task.status, task);
  const type = EVENT_FOR[task.status];
  if (type) await deps.events.publish([taskEvent(task, type, deps.clock.now())]);
}
