// Fault injection (README "Faults"): the kinds, their short forms (`status=429`, `reset=4096`, `x@0.1`),
// the queue filled by the control API (consumed in order), and the choice of what applies to one request.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

export const faultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('latency'), ms: z.number().int().min(0).max(3_600_000) }),
  z.object({ kind: z.literal('status'), status: z.number().int().min(400).max(599), code: z.string().optional(), message: z.string().optional() }),
  z.object({ kind: z.literal('reset'), afterBytes: z.number().int().min(0).optional() }),
  z.object({ kind: z.literal('reset-after-commit') }),
  z.object({ kind: z.literal('hang') }),
  z.object({ kind: z.literal('task-fail'), code: z.string().optional(), message: z.string().optional() }),
  z.object({ kind: z.literal('partial-failure'), failed: z.number().int().min(1).max(4) }),
]);
export type Fault = z.infer<typeof faultSchema>;

export const faultMatchSchema = z.object({
  /** Prefix of the request path (no query). */
  path: z.string().optional(),
  method: z.string().optional(),
  model: z.string().optional(),
});
export type FaultMatch = z.infer<typeof faultMatchSchema>;

export const faultRuleSchema = z.object({
  match: faultMatchSchema.optional(),
  /** How many matching requests consume it (default 1; Infinity until cleared). */
  times: z.number().int().min(1).or(z.literal(Infinity)).optional(),
  fault: faultSchema,
});
export type FaultRule = z.infer<typeof faultRuleSchema>;

export interface QueuedFault {
  id: string;
  match: FaultMatch;
  remaining: number;
  fault: Fault;
}

export interface RunWideFault {
  fault: Fault;
  /** 0–1; 1 = every matching request. */
  probability: number;
  match?: FaultMatch;
}

export interface RequestFacts {
  method: string;
  path: string;
  model?: string | undefined;
}

const int = (v: string | undefined, what: string): number => {
  const n = Number(v);
  if (v === undefined || v === '' || !Number.isInteger(n) || n < 0) throw new Error(`fault '${what}' needs a whole number`);
  return n;
};

/** Parses one short form, e.g. `status=429@0.1`, `reset=4096`, `task-fail=InternalError.Timeout`. */
export function parseShortFault(text: string): RunWideFault {
  const [body, prob] = text.trim().split('@') as [string, string | undefined];
  const eq = body.indexOf('=');
  const name = (eq < 0 ? body : body.slice(0, eq)).trim();
  const arg = eq < 0 ? undefined : body.slice(eq + 1).trim();
  let fault: Fault;
  switch (name) {
    case 'latency': fault = { kind: 'latency', ms: int(arg, name) }; break;
    case 'status': fault = { kind: 'status', status: int(arg, name) }; break;
    case 'reset': fault = arg === undefined ? { kind: 'reset' } : { kind: 'reset', afterBytes: int(arg, name) }; break;
    case 'reset-after-commit': fault = { kind: 'reset-after-commit' }; break;
    case 'hang': fault = { kind: 'hang' }; break;
    case 'task-fail': fault = arg ? { kind: 'task-fail', code: arg } : { kind: 'task-fail' }; break;
    case 'partial-failure': fault = { kind: 'partial-failure', failed: arg === undefined ? 1 : int(arg, name) }; break;
    default: throw new Error(`unknown fault '${name}'`);
  }
  const parsed = faultSchema.safeParse(fault);
  if (!parsed.success) throw new Error(`invalid fault '${text}': ${parsed.error.issues[0]?.message ?? ''}`);
  const probability = prob === undefined ? 1 : Number(prob);
  if (!(probability >= 0 && probability <= 1)) throw new Error(`fault probability must be in [0, 1]: '${text}'`);
  return { fault: parsed.data, probability };
}

/** Parses `a;b;c` short forms (env `EMULATOR_FAULTS`, header `X-Emulator-Fault`). */
export function parseShortFaults(list: string): RunWideFault[] {
  return list.split(';').map((s) => s.trim()).filter(Boolean).map(parseShortFault);
}

export function matches(m: FaultMatch | undefined, r: RequestFacts): boolean {
  if (!m) return true;
  if (m.path !== undefined && !r.path.startsWith(m.path)) return false;
  if (m.method !== undefined && m.method.toUpperCase() !== r.method) return false;
  if (m.model !== undefined && m.model !== r.model) return false;
  return true;
}

/** Faults added through the API, consumed by the requests they match, in the order they were added. */
export class FaultQueue {
  private rules: QueuedFault[] = [];

  add(rule: FaultRule): string {
    const parsed = faultRuleSchema.parse(rule);
    const id = randomUUID();
    this.rules.push({ id, match: parsed.match ?? {}, remaining: parsed.times ?? 1, fault: parsed.fault });
    return id;
  }
  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }
  clear(): void {
    this.rules = [];
  }
  list(): QueuedFault[] {
    return this.rules.map((r) => ({ ...r, match: { ...r.match } }));
  }
  /** The first rule matching this request, consumed once. */
  take(r: RequestFacts): Fault | undefined {
    const i = this.rules.findIndex((x) => matches(x.match, r));
    if (i < 0) return undefined;
    const rule = this.rules[i]!;
    if (--rule.remaining <= 0) this.rules.splice(i, 1);
    return rule.fault;
  }
}

/** What happens to one request: total added latency, at most one terminal fault, and task directives. */
export interface FaultPlan {
  latencyMs: number;
  terminal?: Extract<Fault, { kind: 'status' | 'reset' | 'reset-after-commit' | 'hang' }>;
  taskFail?: Extract<Fault, { kind: 'task-fail' }>;
  partialFailure?: number;
  labels: string[];
}

/** Combines faults in precedence order (header, queue, run-wide); the first terminal one wins. */
export function planFaults(faults: Fault[]): FaultPlan {
  const plan: FaultPlan = { latencyMs: 0, labels: [] };
  for (const f of faults) {
    plan.labels.push(f.kind);
    if (f.kind === 'latency') plan.latencyMs += f.ms;
    else if (f.kind === 'task-fail') plan.taskFail ??= f;
    else if (f.kind === 'partial-failure') plan.partialFailure ??= f.failed;
    else plan.terminal ??= f;
  }
  return plan;
}

/** Run-wide faults that fire for this request (each rolled by its probability). */
export function rollRunWide(faults: readonly RunWideFault[], r: RequestFacts, random: () => number = Math.random): Fault[] {
  return faults.filter((f) => matches(f.match, r) && (f.probability >= 1 || random() < f.probability)).map((f) => f.fault);
}
