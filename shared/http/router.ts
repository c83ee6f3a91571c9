// Route matching for HTTP functions: `:name` segments, method check (405 with Allow), 404 otherwise; HEAD
// matches GET and OPTIONS any route of the path.
import type { HttpMethod, RouteMatch, RouteSpec } from '../runtime/fc.ts';
import { clip } from '../text/clip.ts';
import { HttpError } from './errors.ts';


const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  // a pattern without parameters is a plain comparison (no splitting per request)
  if (!pattern.includes(':')) return pattern === path ? NO_PARAMS : undefined;
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
  const clean = path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') : path;
  for (const route of routes) {
    const params = matchPath(route.path, clean);
    if (!params) continue;
    // OPTIONS is answered for every known path (CORS preflight); the function answers it from its routes
    if (route.method === method || (method === 'HEAD' && route.method === 'GET') || method === 'OPTIONS') return { kind: 'match', match: { route, params } };
    allow.push(route.method);
  }
  return allow.length ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
}

/** The matched route, or the HttpError every HTTP entry point answers: 404, or 405 with an Allow header. */
export function requireRoute<R extends RouteSpec>(routes: readonly R[], method: string, path: string): RouteMatch<R> {
  const found = matchRoute(routes, method, path);
  if (found.kind === 'match') return found.match;
  // the path is the client's text: quoted clipped, never whole
  if (found.kind === 'not-found') throw new HttpError(404, 'not_found', `no route for ${clip(method, 16)} ${clip(path, 100)}`);
  const allow = found.allow.join(', ');
  throw new HttpError(405, 'method_not_allowed', `${clip(method, 16)} is not allowed on ${clip(path, 100)}; allowed: ${allow}`, { headers: { allow } });
}
