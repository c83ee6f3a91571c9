// The OSS `inbox/` trigger of submit-task: each created object under the prefix is a task request. Failures
// that a retry may fix fail the invocation (FC delivers the event again); invalid requests are logged.
import type { Logger } from '../../shared/log/logger.ts';
import { ossEventSchema, parseEvent, type EventHandler } from '../../shared/runtime/fc.ts';
import { INBOX_PREFIX, submitFromInbox } from '../../shared/use-cases/tasks/submit-from-inbox.ts';
import type { TaskDeps } from '../../shared/use-cases/tasks/task-deps.ts';

/** OSS may deliver keys URL-encoded; keys of ours never contain '%'. */
function decodeKey(raw: string): string {
  try {
    return raw.includes('%') ? decodeURIComponent(raw) : raw;
  } catch {
    return raw;
  }
}

export function createInboxHandler(deps: TaskDeps, log: Logger): EventHandler {
  return async (event, context) => {
    const parsed = parseEvent(event, ossEventSchema);
    const handled: { key: string; outcome: string; taskId?: string }[] = [];
    const failures: unknown[] = [];
    for (const record of parsed.events) {
      const key = decodeKey(record.oss.object.key);
      if (!record.eventName.startsWith('ObjectCreated') || !key.startsWith(INBOX_PREFIX)) continue;
      const l = log.child({ requestId: context.requestId, key });
      try {
        const r = await submitFromInbox({ ...deps, logger: l }, key);
        if (r.kind === 'invalid') l.warn('inbox request refused', { code: r.code, message: r.message });
        handled.push({ key, outcome: r.kind === 'submitted' ? r.result.kind : r.kind, ...(r.kind === 'submitted' ? { taskId: r.result.task.id } : {}) });
      } catch (e) {
        l.error('inbox request not submitted; the event will be retried', { err: e });
        failures.push(e);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} inbox requests not submitted`);
    return { handled };
  };
}
