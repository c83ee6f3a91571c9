// poll-task: the timer (every minute in the cloud, faster locally). One invocation polls the due tasks
// until nothing falls due within its time budget or the budget ends (the platform's deadline, minus a margin).
import type { Deps } from '../../shared/deps/deps.ts';
import { eventEntry } from '../../shared/runtime/event-entry.ts';
import { parseEvent, timerEventSchema, type EventHandler } from '../../shared/runtime/fc.ts';
import { invocationBudgetMs } from '../../shared/runtime/invocation-deadline.ts';
import { pollDueTasks } from '../../shared/use-cases/tasks/poll-due-tasks.ts';
import type { TaskDeps } from '../../shared/use-cases/tasks/task-deps.ts';

export const FUNCTION_NAME = 'poll-task';

export function createEventHandler(deps: Deps): EventHandler {
  const taskDeps: TaskDeps = { ...deps, logger: deps.logger.child({ fn: FUNCTION_NAME }) };
  return async (event, context) => {
    const timer = parseEvent(event, timerEventSchema);
    const deadlineMs = invocationBudgetMs(context);
    const summary = await pollDueTasks(taskDeps, { requestId: context.requestId, ...(deadlineMs !== undefined ? { deadlineMs } : {}) });
    return { trigger: timer.triggerName, ...summary };
  };
}

/** FC built-in runtime entry. */
export const handler: EventHandler = eventEntry(createEventHandler);
