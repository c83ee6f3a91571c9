// Reads s.yaml (Serverless Devs v3) as the local runtime needs it: each fc3 resource's code dir, timeout
// and triggers, `${vars.…}` and `${env(…)}` resolved; the rest ignored. A bad trigger fails at start.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

const httpMethods = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

const triggerSchema = z.discriminatedUnion('triggerType', [
  z.object({
    triggerName: z.string().min(1),
    triggerType: z.literal('http'),
    triggerConfig: z.object({ methods: z.array(httpMethods).min(1) }).loose(),
  }),
  z.object({
    triggerName: z.string().min(1),
    triggerType: z.literal('timer'),
    triggerConfig: z.object({ cronExpression: z.string().min(1), enable: z.boolean().default(true), payload: z.string().optional() }).loose(),
  }),
  z.object({
    triggerName: z.string().min(1),
    triggerType: z.literal('oss'),
    triggerConfig: z
      .object({
        events: z.array(z.string().min(1)).min(1),
        filter: z.object({ key: z.object({ prefix: z.string().default(''), suffix: z.string().default('') }).partial().default({}) }).partial().default({}),
      })
      .loose(),
  }),
  z.object({
    triggerName: z.string().min(1),
    triggerType: z.literal('eventbridge'),
    triggerConfig: z.object({ triggerEnable: z.boolean().default(true), eventRuleFilterPattern: z.string().min(2) }).loose(),
  }),
]);
export type TriggerSpec = z.infer<typeof triggerSchema>;

const fc3PropsSchema = z
  .object({
    functionName: z.string().min(1),
    runtime: z.string().min(1),
    code: z.string().min(1),
    handler: z.string().optional(),
    timeout: z.coerce.number().int().min(1).max(86_400).default(3),
    memorySize: z.coerce.number().int().optional(),
    layers: z.array(z.string().min(1)).default([]),
    customRuntimeConfig: z
      .object({ command: z.array(z.string().min(1)).min(1), args: z.array(z.string()).default([]), port: z.coerce.number().int().min(1).max(65_535).default(9000) })
      .loose()
      .optional(),
    asyncInvokeConfig: z.object({ maxAsyncRetryAttempts: z.coerce.number().int().min(0).max(8).optional() }).loose().optional(),
    triggers: z.array(triggerSchema).default([]),
  })
  .loose();

export interface FunctionSpec {
  /** The resource key in s.yaml. */
  resource: string;
  functionName: string;
  runtime: string;
  /** `props.code` as written, e.g. `./dist/submit-task`. */
  code: string;
  handler?: string;
  timeoutS: number;
  memoryMb?: number;
  /** Layer ARNs (the official Node layer among them). */
  layers: string[];
  maxAsyncRetryAttempts: number;
  /** Set for web functions (custom runtime): how FC starts their HTTP server. */
  customRuntime?: { command: string[]; args: string[]; port: number };
  triggers: TriggerSpec[];
}

export class SYamlError extends Error {
  override name = 'SYamlError';
}

const WHOLE = /^\$\{([^}]+)\}$/;
const ANY = /\$\{([^}]+)\}/g;

/** Resolves one `${…}` expression; undefined leaves it as written (e.g. `${config('AccountID')}`). */
function lookup(expr: string, vars: unknown, env: NodeJS.ProcessEnv): unknown {
  const e = expr.trim();
  const envCall = /^env\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]*)['"]\s*)?\)$/.exec(e);
  if (envCall) return env[envCall[1]!] ?? envCall[2] ?? '';
  if (e.startsWith('vars.')) {
    let v: unknown = vars;
    for (const part of e.slice(5).split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
    return v;
  }
  return undefined;
}

function interpolate(value: unknown, vars: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) {
      const v = lookup(whole[1]!, vars, env);
      return v === undefined ? value : interpolate(v, vars, env);
    }
    return value.replace(ANY, (m, expr: string) => {
      const v = lookup(expr, vars, env);
      return v === undefined || typeof v === 'object' ? m : String(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars, env));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars, env)]));
  return value;
}

/** One s.yaml resource with `${vars.…}` and `${env(…)}` resolved (others, like `${config('AccountID')}`, kept). */
export interface ResolvedResource {
  component: string;
  props: unknown;
}

/** The s.yaml at `file` with its variables resolved: what Serverless Devs would hand each component. */
export function resolveSYaml(file: string, env: NodeJS.ProcessEnv): { vars: unknown; resources: Record<string, ResolvedResource> } {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SYamlError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const top = z.object({ vars: z.unknown().optional(), resources: z.record(z.string(), z.object({ component: z.string(), props: z.unknown() }).loose()) }).safeParse(doc);
  if (!top.success) throw new SYamlError(`${file}: expected a 'resources' map (${top.error.issues[0]?.message ?? ''})`);
  const vars = interpolate(top.data.vars ?? {}, {}, env);
  const resources = Object.fromEntries(Object.entries(top.data.resources).map(([k, r]) => [k, { component: r.component, props: interpolate(r.props, vars, env) }]));
  return { vars, resources };
}

/** Parses the fc3 functions out of the s.yaml at `file`. */
export function readSYaml(file: string, env: NodeJS.ProcessEnv): FunctionSpec[] {
  const { resources } = resolveSYaml(file, env);
  const specs: FunctionSpec[] = [];
  for (const [resource, res] of Object.entries(resources)) {
    if (res.component !== 'fc3') continue;
    const props = fc3PropsSchema.safeParse(res.props);
    if (!props.success) {
      const issue = props.error.issues[0];
      throw new SYamlError(`${file}: resources.${resource}.props.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    const p = props.data;
    specs.push({
      resource,
      functionName: p.functionName,
      runtime: p.runtime,
      code: p.code,
      ...(p.handler ? { handler: p.handler } : {}),
      timeoutS: p.timeout,
      ...(p.memorySize ? { memoryMb: p.memorySize } : {}),
      layers: p.layers,
      maxAsyncRetryAttempts: p.asyncInvokeConfig?.maxAsyncRetryAttempts ?? 3,
      ...(p.customRuntimeConfig ? { customRuntime: { command: p.customRuntimeConfig.command, args: p.customRuntimeConfig.args, port: p.customRuntimeConfig.port } } : {}),
      triggers: p.triggers,
    });
  }
  return specs;
}
