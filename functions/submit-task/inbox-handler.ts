// The OSS `inbox/` trigger of submit-task: each created object under the prefix is a task request, a batch of
// them (`inbox/<tenant>/tasks/*.jsonl`) or fine-tune data to check (`inbox/<tenant>/finetune/*.jsonl`).
// Failures that a retry may fix fail the invocation (FC delivers the event again); invalid requests are logged.
import type { Logger } from '../../shared/log/logger.ts';
import type { EventHandler } from '../../shared/runtime/fc.ts';
import { handleCreatedObjects } from '../../shared/runtime/oss-records.ts';
import { validateFineTuneUpload } from '../../shared/use-cases/finetune/validate-from-inbox.ts';
import { inboxUploadKind, submitBatchFromInbox } from '../../shared/use-cases/tasks/inbox-batch.ts';
import { INBOX_PREFIX, inboxTenant, submitFromInbox } from '../../shared/use-cases/tasks/submit-from-inbox.ts';
import type { TaskDeps } from '../../shared/use-cases/tasks/task-deps.ts';

const isInbox = (key: string): boolean => key.startsWith(INBOX_PREFIX);

export function createInboxHandler(deps: TaskDeps, log: Logger): EventHandler {
  return async (event, context) => {
    const handled = await handleCreatedObjects(event, log.child({ requestId: context.requestId }), isInbox, async (key, logger) => {
      const tenant = inboxTenant(key);
      const kind = tenant === undefined ? 'task' : inboxUploadKind(key);
      if (tenant !== undefined && kind === 'tasks-batch') {
        const r = await submitBatchFromInbox({ ...deps, logger }, key, tenant);
        if (r.kind === 'missing') return { outcome: r.kind };
        const s = r.summary;
        if (s.error) logger.warn('inbox batch refused', { code: s.error.code, message: s.error.message });
        return { outcome: 'batch', tenant, submitted: s.submitted, failed: s.failed };
      }
      if (tenant !== undefined && kind === 'finetune-data') {
        const r = await validateFineTuneUpload(deps, key);
        return r.kind === 'missing' ? { outcome: r.kind } : { outcome: 'validated', tenant, ok: r.report.ok, errors: r.report.errors.length };
      }
      const r = await submitFromInbox({ ...deps, logger }, key);
      if (r.kind === 'invalid') logger.warn('inbox request refused', { code: r.code, message: r.message });
      return r.kind === 'submitted' ? { outcome: r.result.kind, taskId: r.result.task.id, tenant: r.tenant } : { outcome: r.kind };
    });
    return { handled: handled.map((h) => ({ key: h.key, ...h.result })) };
  };
}
