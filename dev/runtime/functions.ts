// Resolves each fc3 resource of s.yaml to its function module (`functions/<basename of props.code>/index.ts`)
// and checks that the module exports what its triggers need, so a miswired function fails at start.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Deps } from '../../shared/deps/deps.ts';
import type { EventHandler, FunctionModule, HttpHandler } from '../../shared/runtime/fc.ts';
import type { FunctionSpec } from './s-yaml.ts';

export interface LoadedFunction {
  spec: FunctionSpec;
  /** The resource key, used as the function's name in output and records. */
  name: string;
  module: FunctionModule;
  http?: HttpHandler;
  event?: EventHandler;
}

export class FunctionLoadError extends Error {
  override name = 'FunctionLoadError';
}

/** Where a resource's module lives: the code dir's basename under `functionsRoot`. */
export function modulePath(spec: FunctionSpec, functionsRoot: string): string {
  return join(functionsRoot, basename(spec.code.replace(/[/\\]+$/, '')), 'index.ts');
}

export async function loadFunction(spec: FunctionSpec, functionsRoot: string, deps: Deps): Promise<LoadedFunction> {
  const file = modulePath(spec, functionsRoot);
  if (!existsSync(file)) throw new FunctionLoadError(`s.yaml resource '${spec.resource}' (code ${spec.code}): ${file} does not exist`);
  const module = (await import(pathToFileURL(file).href)) as FunctionModule;
  const needsHttp = spec.triggers.some((t) => t.triggerType === 'http');
  const needsEvent = spec.triggers.some((t) => t.triggerType !== 'http');
  if (needsHttp && (!module.routes?.length || typeof module.createHttpHandler !== 'function')) {
    throw new FunctionLoadError(`${file}: '${spec.resource}' has an http trigger, so it must export routes and createHttpHandler`);
  }
  if (needsEvent && typeof module.createEventHandler !== 'function' && typeof module.handler !== 'function') {
    throw new FunctionLoadError(`${file}: '${spec.resource}' has event triggers, so it must export createEventHandler (or handler)`);
  }
  const http = needsHttp ? module.createHttpHandler!(deps) : undefined;
  // The injected handler is preferred; `handler` (FC's built-in entry) reaches the same deps via getDeps().
  const event = needsEvent ? (module.createEventHandler?.(deps) ?? module.handler) : undefined;
  return { spec, name: spec.resource, module, ...(http ? { http } : {}), ...(event ? { event } : {}) };
}
