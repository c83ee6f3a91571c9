// EventBridge event patterns (`eventRuleFilterPattern`) for the local eventbridge triggers: literal lists,
// prefix, suffix, anything-but and exists, nested by field. An unknown operator fails at start.
import { z } from 'zod';

type Matcher = (value: unknown, present: boolean) => boolean;

export class EventPatternError extends Error {
  override name = 'EventPatternError';
}

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

function condition(c: unknown, path: string): Matcher {
  if (scalar.safeParse(c).success) return (v) => v === c;
  if (c && typeof c === 'object' && !Array.isArray(c)) {
    const [op, arg] = Object.entries(c)[0] ?? [];
    if (Object.keys(c).length === 1) {
      if (op === 'prefix' && typeof arg === 'string') return (v) => typeof v === 'string' && v.startsWith(arg);
      if (op === 'suffix' && typeof arg === 'string') return (v) => typeof v === 'string' && v.endsWith(arg);
      if (op === 'exists' && typeof arg === 'boolean') return (_v, present) => present === arg;
      if (op === 'anything-but') {
        const inner = Array.isArray(arg) ? arg.map((a) => condition(a, path)) : [condition(arg, path)];
        return (v, present) => present && !inner.some((m) => m(v, present));
      }
    }
  }
  throw new EventPatternError(`unsupported condition at ${path}: ${JSON.stringify(c)}`);
}

function compile(pattern: unknown, path: string): (event: unknown) => boolean {
  if (!pattern || typeof pattern !== 'object' || Array.isArray(pattern)) throw new EventPatternError(`pattern at ${path || 'top'} must be an object`);
  const checks = Object.entries(pattern).map(([field, spec]): ((event: unknown) => boolean) => {
    const here = path ? `${path}.${field}` : field;
    const get = (event: unknown): [unknown, boolean] => {
      const present = !!event && typeof event === 'object' && field in event;
      return [present ? (event as Record<string, unknown>)[field] : undefined, present];
    };
    if (Array.isArray(spec)) {
      const ms = spec.map((c) => condition(c, here));
      return (event) => {
        const [v, present] = get(event);
        const values = Array.isArray(v) ? v : [v];
        return values.some((x) => ms.some((m) => m(x, present)));
      };
    }
    const nested = compile(spec, here);
    return (event) => nested(get(event)[0]);
  });
  return (event) => checks.every((c) => c(event));
}

/** Compiles an `eventRuleFilterPattern` (a JSON string) into a predicate over CloudEvents. */
export function compileEventPattern(json: string): (event: unknown) => boolean {
  let pattern: unknown;
  try {
    pattern = JSON.parse(json);
  } catch {
    throw new EventPatternError('eventRuleFilterPattern is not JSON');
  }
  return compile(pattern, '');
}
