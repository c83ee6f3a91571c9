// submit-task: the HTTP face of async media tasks (submit, read, list, cancel; create and read also at DashScope's
// native task paths) and the usage report, and the OSS `inbox/` trigger. A web function: FC runs server.ts, the local runtime mounts the same handler; `handler` serves the trigger.
import type { Config } from '../../shared/config/config.ts';
import type { Deps } from '../../shared/deps/deps.ts';
import { guardOf, tenantsOf } from '../../shared/deps/guard-of.ts';
import { speechOf } from '../../shared/deps/speech-of.ts';
import type { GuardConfig } from '../../shared/use-cases/guards/guard.ts';
import { clientAuthFor, type ClientAuthDeps } from '../../shared/http/client-auth.ts';
import { httpFunction } from '../../shared/http/http-function.ts';
import { eventEntry } from '../../shared/runtime/event-entry.ts';
import type { EventHandler, HttpHandler, RouteSpec } from '../../shared/runtime/fc.ts';
import type { TaskDeps } from '../../shared/use-cases/tasks/task-deps.ts';
import { createInboxHandler } from './inbox-handler.ts';
import { handleTaskRoute } from './task-routes.ts';
import { handleFineTuneRoute } from './fine-tune-routes.ts';
import { handleUsageRoute, type UsageRouteDeps } from './usage-route.ts';
import { handleNativeTaskRoute, isNativeTaskRoute, NATIVE_TASK_ROUTES } from './native-task-routes.ts';

export const FUNCTION_NAME = 'submit-task';

export const routes = [
  { method: 'POST', path: '/v1/tasks' },
  { method: 'GET', path: '/v1/tasks' },
  { method: 'GET', path: '/v1/tasks/:id' },
  { method: 'DELETE', path: '/v1/tasks/:id' },
  { method: 'GET', path: '/v1/usage' },
  { method: 'POST', path: '/v1/fine-tunes' },
  { method: 'GET', path: '/v1/fine-tunes/:id' },
  // DashScope's native async task API, at DashScope's own paths
  ...NATIVE_TASK_ROUTES,
] as const satisfies readonly RouteSpec[];

/** What submit-task needs of a process's Deps: the task use cases' deps, the guards (limits, budgets, the ledger for usage) and who may call. */
export type SubmitDeps = TaskDeps &
  Omit<ClientAuthDeps, 'config'> &
  Pick<Deps, 'guards'> & { config: TaskDeps['config'] & ClientAuthDeps['config'] & GuardConfig & UsageRouteDeps['config'] & Pick<Config, 'CORS_ALLOWED_ORIGINS'> };

/** What the inbox trigger needs: the task use cases' deps and the guards' store. */
export type InboxDeps = TaskDeps & Pick<Deps, 'guards'> & Partial<Pick<Deps, 'keys'>> & { config: TaskDeps['config'] & GuardConfig };

export function createHttpHandler(deps: SubmitDeps): HttpHandler {
  const log = deps.logger.child({ fn: FUNCTION_NAME });
  const speech = speechOf(deps);
  const taskDeps = { ...deps, ...(speech ? { speech } : {}), guard: guardOf(deps) };
  return httpFunction(
    {
      routes,
      auth: clientAuthFor(deps, log),
      corsOrigins: deps.config.CORS_ALLOWED_ORIGINS,
      serve(call) {
        if (call.route.path === '/v1/usage') return handleUsageRoute(deps, call);
        if (call.route.path.startsWith('/v1/fine-tunes')) return handleFineTuneRoute(taskDeps, call);
        return isNativeTaskRoute(call.route.path) ? handleNativeTaskRoute(taskDeps, call) : handleTaskRoute(taskDeps, call);
      },
    },
    log,
  );
}

export function createEventHandler(deps: InboxDeps): EventHandler {
  const speech = speechOf(deps);
  return createInboxHandler({ ...deps, ...(speech ? { speech } : {}), guard: guardOf(deps), ...(deps.keys ? { tenants: tenantsOf({ keys: deps.keys }) } : {}) }, deps.logger.child({ fn: FUNCTION_NAME }));
}

/** FC event entry (the OSS `inbox/` trigger). */
export const handler: EventHandler = eventEntry(createEventHandler);
