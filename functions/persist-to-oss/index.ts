// persist-to-oss, the OSS trigger on `results/manifests/`: runs persistResult for every created manifest the
// event names (other keys are ignored); any failure fails the invocation, so FC delivers the event again.
import type { Deps } from '../../shared/deps/deps.ts';
import { guardOf } from '../../shared/deps/guard-of.ts';
import { taskIdFromManifestKey } from '../../shared/domain/manifest.ts';
import { eventEntry } from '../../shared/runtime/event-entry.ts';
import type { EventHandler } from '../../shared/runtime/fc.ts';
import { invocationSignal } from '../../shared/runtime/invocation-deadline.ts';
import { handleCreatedObjects } from '../../shared/runtime/oss-records.ts';
import { persistResult, type PersistDeps } from '../../shared/use-cases/persist/persist-result.ts';

export const FUNCTION_NAME = 'persist-to-oss';

/** Time kept back from the invocation's deadline to record what happened before FC kills it. */
const DEADLINE_MARGIN_MS = 5_000;

const isManifest = (key: string): boolean => taskIdFromManifestKey(key) !== undefined;

export function createEventHandler(deps: Deps): EventHandler {
  const persistDeps: Omit<PersistDeps, 'logger'> = {
    tasks: deps.tasks,
    events: deps.events,
    clock: deps.clock,
    objects: deps.objects,
    results: deps.results,
    // the PERSISTED transition settles the task's cost again: recorded once, whichever step got there first
    guard: guardOf(deps),
  };
  const log = deps.logger.child({ fn: FUNCTION_NAME });
  return async (event, context) => {
    const signal = invocationSignal(context, DEADLINE_MARGIN_MS);
    const handled = await handleCreatedObjects(event, log.child({ requestId: context.requestId }), isManifest, async (key, logger) => {
      const r = await persistResult({ ...persistDeps, logger }, key, signal);
      return { taskId: r.task.id, outcome: r.outcome, status: r.task.status };
    });
    return { handled: handled.map((h) => ({ key: h.key, ...h.result })) };
  };
}

/** FC built-in runtime entry. */
export const handler: EventHandler = eventEntry(createEventHandler);
