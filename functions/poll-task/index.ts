// poll-task: the timer (every minute in the cloud, faster locally). One invocation polls the due tasks
// until nothing falls due within its time budget or the budget ends (the platform's deadline, minus a margin).
import type { Deps } from '../../shared/deps/deps.ts';
import { getDeps } from '../../shared/deps/get-deps.ts';
import { parseEvent, timerEventSchema, type EventHandler } from '../../shared/runtime/fc.ts';
import { pollDueTasks } from '../../shared/use-cases/tasks/poll-due-tasks.ts';
import { taskDepsOf } from '../../shared/use-cases/tasks/task-deps.ts';

export const FUNCTION_NAME = 'poll-task';

export function createEventHandler(deps: Deps): EventHandler {
  const log = deps.logger.child({ fn: FUNCTION_NAME });
  return async (event, context) => {
    const timer = parseEvent(event, timerEventSchema);
    const deadlineMs = context.deadlineMs ?? (context.function?.timeout ? context.function.timeout * 1000 : undefined);
    return pollDueTasks(
      { ...taskDepsOf(deps), logger: log },
      { requestId: context.requestId, ...(deadlineMs !== undefined ? { deadlineMs } : {}) },
    ).then((summary) => ({ trigger: timer.triggerName, ...summary }));
  };
}

/** FC built-in runtime entry: deps are built once per instance by the composition root. */
export const handler: EventHandler = async (event, context) => createEventHandler(getDeps())(event, context);
