// poll-task: the timer (every minute in the cloud, faster locally). One invocation polls the due tasks
// until nothing falls due within its time budget or the budget ends (the platform's deadline, minus a margin),
// then announces the pipelines that fell due (pipeline.due; submit-task's trigger advances them).
// It is also the failure destination of the other event functions: any other event is kept as a dead letter.
import type { Deps } from '../../shared/deps/deps.ts';
import { guardOf } from '../../shared/deps/guard-of.ts';
import { eventEntry } from '../../shared/runtime/event-entry.ts';
import { parseJson } from '../../shared/json/parse-json.ts';
import { timerEventSchema, type EventHandler, type TimerEvent } from '../../shared/runtime/fc.ts';
import { keepDeadLetter } from '../../shared/use-cases/dead-letters/keep-dead-letter.ts';
import { invocationBudgetMs } from '../../shared/runtime/invocation-deadline.ts';
import { pollDueTasks } from '../../shared/use-cases/tasks/poll-due-tasks.ts';
import type { TaskDeps } from '../../shared/use-cases/tasks/task-deps.ts';
import { sweepPipelines } from '../../shared/use-cases/pipelines/sweep-pipelines.ts';

export const FUNCTION_NAME = 'poll-task';

/** The timer's event, or undefined for anything else (not JSON, too deep, another shape). */
function timerEvent(event: Buffer | string): TimerEvent | undefined {
  try {
    const r = timerEventSchema.safeParse(parseJson(event));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

export function createEventHandler(deps: Deps): EventHandler {
  const taskDeps: TaskDeps = { ...deps, speech: deps.dashscope, logger: deps.logger.child({ fn: FUNCTION_NAME }), guard: guardOf(deps) };
  return async (event, context) => {
    const timer = timerEvent(event);
    if (!timer) {
      const kept = await keepDeadLetter(taskDeps, Buffer.isBuffer(event) ? event : Buffer.from(event), context.requestId);
      return { deadLetter: kept.key };
    }
    const deadlineMs = invocationBudgetMs(context);
    const summary = await pollDueTasks(taskDeps, { requestId: context.requestId, ...(deadlineMs !== undefined ? { deadlineMs } : {}) });
    // reservations whose calls never settled (an instance that died mid-call) give their budget back
    const expiredReservations = await taskDeps.guard!.expire().catch((error: unknown) => {
      taskDeps.logger.error('expired reservations not released', { error });
      return 0;
    });
    // pipelines whose events were lost (or that wait for a retry) are announced due; their trigger does the work
    const duePipelines = await sweepPipelines({ ...deps, logger: taskDeps.logger }).catch((error: unknown) => {
      taskDeps.logger.error('pipelines not swept', { error });
      return 0;
    });
    return { trigger: timer.triggerName, ...summary, expiredReservations, duePipelines };
  };
}

/** FC built-in runtime entry. */
export const handler: EventHandler = eventEntry(createEventHandler);
