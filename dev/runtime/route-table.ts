// The local runtime's one HTTP route table: every http-triggered function's routes, limited to the methods
// its trigger allows. Overlapping routes fail at start; `/healthz` and `/_oss/` belong to the runtime.
import type { RouteSpec } from '../../shared/runtime/fc.ts';
import type { LoadedFunction } from './functions.ts';

export interface RuntimeRoute extends RouteSpec {
  fn: LoadedFunction;
  trigger: string;
}

export class RouteConflictError extends Error {
  override name = 'RouteConflictError';
}

export const HEALTH_PATH = '/healthz';
export const RESERVED_PREFIX = '/_oss/';

/** Two patterns overlap when some path matches both: same length, and each segment equal or a parameter. */
function overlap(a: string, b: string): boolean {
  const sa = a.split('/');
  const sb = b.split('/');
  return sa.length === sb.length && sa.every((s, i) => s === sb[i] || s.startsWith(':') || sb[i]!.startsWith(':'));
}

export function buildRouteTable(functions: readonly LoadedFunction[]): { routes: RuntimeRoute[]; notes: string[] } {
  const routes: RuntimeRoute[] = [];
  const notes: string[] = [];
  for (const fn of functions) {
    const trigger = fn.spec.triggers.find((t) => t.triggerType === 'http');
    if (!trigger || trigger.triggerType !== 'http') continue;
    for (const r of fn.module.routes ?? []) {
      if (r.path === HEALTH_PATH) {
        notes.push(`${r.method} ${r.path} of ${fn.name} is answered by the runtime's own health check`);
        continue;
      }
      if (r.path.startsWith(RESERVED_PREFIX)) throw new RouteConflictError(`route ${r.method} ${r.path} of ${fn.name} is under ${RESERVED_PREFIX}, reserved for local object URLs`);
      const methods = trigger.triggerConfig.methods as readonly string[];
      if (!methods.includes(r.method) && !(r.method === 'HEAD' && methods.includes('GET'))) {
        notes.push(`${r.method} ${r.path} of ${fn.name} is not served: its http trigger allows only ${methods.join(', ')}`);
        continue;
      }
      const clash = routes.find((x) => x.fn !== fn && x.method === r.method && overlap(x.path, r.path));
      if (clash) throw new RouteConflictError(`route ${r.method} ${r.path} of ${fn.name} conflicts with ${clash.method} ${clash.path} of ${clash.fn.name}`);
      routes.push({ method: r.method, path: r.path, fn, trigger: trigger.triggerName });
    }
  }
  return { routes, notes };
}
