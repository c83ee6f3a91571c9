// Working on a task under a lease: status changes are made while it is held, and it is released by a separate
// write after the event went out, so a holder that dies in between leaves evidence (its owner on a free row).
import { isTerminal, type Task, type TaskStatus } from '../../domain/task.ts';
import { EventPublishError } from '../../ports/event-bus.ts';
import { TaskConflictError, type TaskPatch } from '../../ports/task-store.ts';
import { republishTaskEvent, transitionTask } from '../transition-task.ts';
import type { TaskDeps } from './task-deps.ts';

export interface Held {
  task: Task;
  owner: string;
  /** false when the transition's event could not be published: the release keeps the evidence. */
  published: boolean;
}

/** Transitions a task we hold; a failed publish is noted (not thrown) so the release keeps the evidence. */
export async function transitionHeld(deps: TaskDeps, held: Held, to: TaskStatus, patch: TaskPatch = {}): Promise<Held> {
  try {
    const task = await transitionTask(deps, held.task, to, patch);
    return { ...held, task };
  } catch (e) {
    if (!(e instanceof EventPublishError)) throw e;
    deps.logger.warn('event not published; the next claim re-publishes it', { taskId: held.task.id, status: to, err: e });
    const task = await deps.tasks.get(held.task.id);
    if (!task) throw e;
    return { ...held, task, published: false };
  }
}

/**
 * Ends our lease with `patch` (e.g. the next dueAt). If a concurrent writer (persist-to-oss) moved the row on,
 * re-reads and releases what is still ours; a terminal row is never due again. Returns the row as left.
 */
export async function releaseLease(deps: TaskDeps, held: Held, patch: TaskPatch = {}): Promise<Task | undefined> {
  const now = deps.clock.now();
  // Keeping the owner on a free lease is the evidence that an event may be missing.
  const lease: TaskPatch = held.published ? { leaseOwner: undefined, leaseUntil: undefined } : { leaseUntil: now.toISOString() };
  let task = held.task;
  for (let attempt = 0; attempt < 5; attempt++) {
    const terminal = isTerminal(task.status);
    const write: TaskPatch = terminal ? { ...lease, dueAt: undefined } : { ...lease, ...patch };
    if (terminal && !held.published) write.dueAt = now.toISOString();
    try {
      return await deps.tasks.update(task.id, task.version, write, now);
    } catch (e) {
      if (!(e instanceof TaskConflictError)) throw e;
      const fresh = await deps.tasks.get(task.id);
      if (!fresh || fresh.leaseOwner !== held.owner) return fresh;
      // Someone else wrote a status; what we meant to schedule was for the old one.
      if (fresh.status !== task.status) patch = { dueAt: fresh.dueAt };
      task = fresh;
    }
  }
  return undefined;
}

/** Called when claiming a row whose previous holder left its owner behind: re-publish the status's event. */
export async function recoverEvidence(deps: TaskDeps, previous: Task, current: Task): Promise<void> {
  if (!previous.leaseOwner) return;
  deps.logger.info('previous holder stopped mid-way; re-publishing the status event', { taskId: current.id, status: current.status, previousOwner: previous.leaseOwner });
  await republishTaskEvent(deps, current);
}
