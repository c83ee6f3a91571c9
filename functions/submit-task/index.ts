// submit-task: the HTTP face of async media tasks (submit, read, list, cancel; create and read also at DashScope's
// native task paths), pipelines and the usage report, the OSS `inbox/` trigger and the pipelines' event triggers.
// A web function: FC runs server.ts, the local runtime mounts the same handler; `handler` serves the triggers.
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
import { createPipelineHandler } from './pipeline-handler.ts';
import { handlePipelineRoute } from './pipeline-routes.ts';
import type { PipelineConfig, PipelineDeps } from '../../shared/use-cases/pipelines/pipeline-deps.ts';
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
  { method: 'POST', path: '/v1/pipelines' },
  { method: 'GET', path: '/v1/pipelines/:id' },
] as const satisfies readonly RouteSpec[];

/** What submit-task needs of a process's Deps: the task use cases' deps, the guards (limits, budgets, the ledger for usage) and who may call. */
export type SubmitDeps = TaskDeps &
  Omit<ClientAuthDeps, 'config'> &
  Pick<Deps, 'guards'> &
  PipelineParts & { config: TaskDeps['config'] & ClientAuthDeps['config'] & GuardConfig & UsageRouteDeps['config'] & PipelineConfig & Pick<Config, 'CORS_ALLOWED_ORIGINS'> };

/** What the event triggers need: the task use cases' deps, the guards' store, and the pipelines (advanced on their events). */
export type InboxDeps = TaskDeps & Pick<Deps, 'guards'> & PipelineParts & Partial<Pick<Deps, 'keys'>> & { config: TaskDeps['config'] & GuardConfig & PipelineConfig };

/** The pipeline store, and a DashScope client that also chats: a process's Deps has both (test deps may have neither). */
type PipelineParts = Partial<Pick<Deps, 'pipelines'>> & { dashscope: TaskDeps['dashscope'] | Deps['dashscope'] };

/** The pipeline use cases' deps, when the process has what they need. */
function pipelineDepsOf<D extends TaskDeps & PipelineParts & { config: PipelineConfig }>(deps: D): PipelineDeps | undefined {
  const { pipelines, dashscope } = deps;
  if (!pipelines || !('chat' in dashscope)) return undefined;
  return { ...deps, pipelines, dashscope };
}

export function createHttpHandler(deps: SubmitDeps): HttpHandler {
  const log = deps.logger.child({ fn: FUNCTION_NAME });
  const speech = speechOf(deps);
  const taskDeps = { ...deps, ...(speech ? { speech } : {}), guard: guardOf(deps) };
  const pipelineDeps = pipelineDepsOf(taskDeps);
  return httpFunction(
    {
      routes,
      auth: clientAuthFor(deps, log),
      corsOrigins: deps.config.CORS_ALLOWED_ORIGINS,
      serve(call) {
        if (call.route.path === '/v1/usage') return handleUsageRoute(deps, call);
        if (call.route.path.startsWith('/v1/fine-tunes')) return handleFineTuneRoute(taskDeps, call);
        if (call.route.path.startsWith('/v1/pipelines')) {
          if (!pipelineDeps) throw new Error('this process has no pipeline store');
          return handlePipelineRoute(pipelineDeps, call);
        }
        return isNativeTaskRoute(call.route.path) ? handleNativeTaskRoute(taskDeps, call) : handleTaskRoute(taskDeps, call);
      },
    },
    log,
  );
}

export function createEventHandler(deps: InboxDeps): EventHandler {
  const speech = speechOf(deps);
  const full = { ...deps, ...(speech ? { speech } : {}), guard: guardOf(deps), ...(deps.keys ? { tenants: tenantsOf({ keys: deps.keys }) } : {}) };
  const log = deps.logger.child({ fn: FUNCTION_NAME });
  const inbox = createInboxHandler(full, log);
  const pipelineDeps = pipelineDepsOf(full);
  const pipelines = pipelineDeps ? createPipelineHandler(pipelineDeps, log) : undefined;
  // a pipeline's event (EventBridge) or, failing that, OSS records under inbox/
  return async (event, context) => (await pipelines?.(event, context)) ?? inbox(event, context);
}

/** FC event entry (the OSS `inbox/` trigger and the pipelines' EventBridge triggers). */
export const handler: EventHandler = eventEntry(createEventHandler);
