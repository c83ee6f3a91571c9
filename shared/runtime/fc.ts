// The contract between a function's entry module and whatever runs it (Function Compute, or the local
// runtime in dev/): handler shapes, the FC context, and the trigger payloads, parsed with zod.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Deps } from '../deps/deps.ts';
import { JsonInputError, parseJson } from '../json/parse-json.ts';

export interface FcContext {
  requestId: string;
  function?: { name: string; handler?: string; memory?: number; timeout?: number };
  region?: string;
  accountId?: string;
  credentials?: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
  /** Undocumented but observed on FC; 0 on the first delivery. */
  retryCount?: number;
  /** Milliseconds the invocation may still run (from the function's timeout); the local runtime sets it. */
  deadlineMs?: number;
}

/** `match`: the route the server in front already matched (FC's web-function server, the local runtime), if any. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse, match?: RouteMatch) => Promise<void>;
export type EventHandler = (event: Buffer, context: FcContext) => Promise<unknown>;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
/** A route a function serves: `path` is a pattern with `:name` segments, e.g. `/v1/tasks/:id`. */
export interface RouteSpec {
  method: HttpMethod;
  path: string;
}

/** A request's route and the values of its `:name` segments. */
export interface RouteMatch<R extends RouteSpec = RouteSpec> {
  route: R;
  params: Record<string, string>;
}

/**
 * What `functions/<name>/index.ts` exports. HTTP functions export `routes` and `createHttpHandler`;
 * event functions export `createEventHandler`; `handler` is the FC built-in runtime entry.
 */
export interface FunctionModule {
  routes?: readonly RouteSpec[];
  createHttpHandler?: (deps: Deps) => HttpHandler;
  createEventHandler?: (deps: Deps) => EventHandler;
  handler?: EventHandler;
}

export const timerEventSchema = z.object({
  triggerTime: z.string(),
  triggerName: z.string(),
  payload: z.string().optional(),
});
export type TimerEvent = z.infer<typeof timerEventSchema>;

export const ossEventSchema = z.object({
  events: z
    .array(
      z.object({
        eventName: z.string(),
        eventSource: z.string().optional(),
        eventTime: z.string().optional(),
        eventVersion: z.string().optional(),
        region: z.string().optional(),
        oss: z.object({
          bucket: z.object({ name: z.string(), arn: z.string().optional() }).passthrough(),
          object: z.object({ key: z.string(), size: z.number().optional(), eTag: z.string().optional() }).passthrough(),
          ruleId: z.string().optional(),
        }),
      }).passthrough(),
    )
    .min(1),
});
export type OssEvent = z.infer<typeof ossEventSchema>;

export class BadEventError extends Error {
  override name = 'BadEventError';
}

/** Parses a trigger payload (a Buffer on FC's built-in runtime), nesting capped, with the given schema. */
export function parseEvent<T>(event: Buffer | string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = parseJson(event);
  } catch (e) {
    if (e instanceof JsonInputError && e.code === 'json_too_deep') throw new BadEventError(`event ${e.message}`);
    throw new BadEventError('event is not JSON');
  }
  const r = schema.safeParse(json);
  if (!r.success) throw new BadEventError(`event does not match: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}
