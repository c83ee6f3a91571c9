// FC's built-in runtime entry for an event function: the handler is built once per instance, on the first
// invocation, from the process's Deps (the composition root), and reused by every invocation after it.
import type { Deps } from '../deps/deps.ts';
import { getDeps } from '../deps/get-deps.ts';
import type { EventHandler } from './fc.ts';

export function eventEntry(create: (deps: Deps) => EventHandler): EventHandler {
  let built: EventHandler | undefined;
  return (event, context) => {
    const deps = getDeps();
    // the invocation's role credentials are the ones the cloud adapters sign with from now on
    deps.credentials?.update(context.credentials);
    return (built ??= create(deps))(event, context);
  };
}
