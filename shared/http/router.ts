// Route matching for HTTP functions: `:name` segments, method check (405 with Allow), 404 otherwise.
import type { HttpMethod, RouteSpec } from '../runtime/fc.ts';

export interface RouteMatch<R extends RouteSpec = RouteSpec> {
  route: R;
  params: Record<string, string>;
}

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]!;
    const val = s[i]!;
    if (seg.startsWith(':')) {
      if (!val) return undefined;
      try {
        params[seg.slice(1)] = decodeURIComponent(val);
      } catch {
        return undefined;
      }
    } else if (seg !== val) return undefined;
  }
  return params;
}

export type RouteResult<R extends RouteSpec> =
  | { kind: 'match'; match: RouteMatch<R> }
  | { kind: 'method-not-allowed'; allow: HttpMethod[] }
  | { kind: 'not-found' };

/** Finds the route for `method` and `path` (the path without its query string). */
export function matchRoute<R extends RouteSpec>(routes: readonly R[], method: string, path: string): RouteResult<R> {
  const allow: HttpMethod[] = [];
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : path;
  for (const route of routes) {
    const params = matchPath(route.path, clean);
    if (!params) continue;
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { kind: 'match', match: { route, params } };
    allow.push(route.method);
  }
  return allow.length ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
}
