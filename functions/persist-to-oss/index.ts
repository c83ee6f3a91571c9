// persist-to-oss: the OSS trigger on `results/manifests/`. Parses the event, runs persistResult for every
// created manifest it names (other keys are ignored), and fails the invocation when any of them failed, so
// FC delivers the event again; duplicates are verified by the use case, never rewritten.
import type { Deps } from '../../shared/deps/deps.ts';
import { getDeps } from '../../shared/deps/get-deps.ts';
import { taskIdFromManifestKey } from '../../shared/domain/manifest.ts';
import { ossEventSchema, parseEvent, type EventHandler, type FcContext } from '../../shared/runtime/fc.ts';
import { downloadOptionsFromConfig } from '../../shared/use-cases/persist/download-options.ts';
import { persistResult, type PersistDeps } from '../../shared/use-cases/persist/persist-result.ts';

export const FUNCTION_NAME = 'persist-to-oss';

/** Time kept back from the invocation's deadline to record what happened before FC kills it. */
const DEADLINE_MARGIN_MS = 5_000;

/** The manifest key an OSS record names, or undefined (keys may arrive URL-encoded). */
function manifestKeyOf(rawKey: string): string | undefined {
  if (taskIdFromManifestKey(rawKey)) return rawKey;
  try {
    const decoded = decodeURIComponent(rawKey);
    return taskIdFromManifestKey(decoded) ? decoded : undefined;
  } catch {
    return undefined;
  }
}

function invocationSignal(context: FcContext): AbortSignal | undefined {
  const budget = context.deadlineMs ?? (context.function?.timeout ? context.function.timeout * 1000 : undefined);
  return budget ? AbortSignal.timeout(Math.max(budget - DEADLINE_MARGIN_MS, 1_000)) : undefined;
}

export function createEventHandler(deps: Deps): EventHandler {
  const persistDeps: PersistDeps = {
    tasks: deps.tasks,
    events: deps.events,
    clock: deps.clock,
    objects: deps.objects,
    logger: deps.logger,
    download: downloadOptionsFromConfig(deps.config),
  };
  return async (event, context) => {
    const log = deps.logger.child({ fn: FUNCTION_NAME, requestId: context.requestId });
    const parsed = parseEvent(event, ossEventSchema);
    const signal = invocationSignal(context);
    const handled: { key: string; taskId: string; outcome: string; status: string }[] = [];
    const failures: { key: string; error: unknown }[] = [];
    for (const record of parsed.events) {
      const key = record.eventName.startsWith('ObjectCreated') ? manifestKeyOf(record.oss.object.key) : undefined;
      if (!key) {
        log.debug('record ignored', { eventName: record.eventName, key: record.oss.object.key });
        continue;
      }
      try {
        const r = await persistResult({ ...persistDeps, logger: log }, key, signal);
        handled.push({ key, taskId: r.task.id, outcome: r.outcome, status: r.task.status });
      } catch (error) {
        log.error('manifest not persisted', { key, error });
        failures.push({ key, error });
      }
    }
    if (failures.length === 1) throw failures[0]?.error;
    if (failures.length > 1) throw new AggregateError(failures.map((f) => f.error), `${failures.length} manifests not persisted: ${failures.map((f) => f.key).join(', ')}`);
    return { handled };
  };
}

/** FC built-in runtime entry: deps are built once per instance by the composition root. */
export const handler: EventHandler = async (event, context) => createEventHandler(getDeps())(event, context);
