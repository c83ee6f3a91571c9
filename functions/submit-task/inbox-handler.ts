// The OSS `inbox/` trigger of submit-task: each created object under the prefix is a task request. Failures
// that a retry may fix fail the invocation (FC delivers the event again); invalid requests are logged.
import type { Logger } from '../../shared/log/logger.ts';
import type { EventHandler } from '../../shared/runtime/fc.ts';
import { handleCreatedObjects } from '../../shared/runtime/oss-records.ts';
import { INBOX_PREFIX, submitFromInbox } from '../../shared/use-cases/tasks/submit-from-inbox.ts';
import type { TaskDeps } from '../../shared/use-cases/tasks/task-deps.ts';

const isInbox = (key: string): boolean => key.startsWith(INBOX_PREFIX);

export function createInboxHandler(deps: TaskDeps, log: Logger): EventHandler {
  return async (event, context) => {
    const handled = await handleCreatedObjects(event, log.child({ requestId: context.requestId }), isInbox, async (key, logger) => {
      const r = await submitFromInbox({ ...deps, logger }, key);
      if (r.kind === 'invalid') logger.warn('inbox request refused', { code: r.code, message: r.message });
      return r.kind === 'submitted' ? { outcome: r.result.kind, taskId: r.result.task.id, tenant: r.tenant } : { outcome: r.kind };
    });
    return { handled: handled.map((h) => ({ key: h.key, ...h.result })) };
  };
}
