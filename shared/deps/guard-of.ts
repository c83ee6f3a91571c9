// The guard of a process's Deps, built once per Deps object: what every function's entry point hands its use
// cases (chat, embeddings, task submission and billing, the timer's expiry of reservations).
import { createGuard, type Guard, type GuardDeps } from '../use-cases/guards/guard.ts';
import type { Deps } from './deps.ts';

const built = new WeakMap<object, Guard>();

export function guardOf(deps: Pick<Deps, 'guards' | 'events' | 'clock' | 'logger'> & Pick<GuardDeps, 'config' | 'budgetsOf'>): Guard {
  let guard = built.get(deps);
  if (!guard) {
    guard = createGuard({ guards: deps.guards, events: deps.events, clock: deps.clock, logger: deps.logger, config: deps.config, ...(deps.budgetsOf ? { budgetsOf: deps.budgetsOf } : {}) });
    built.set(deps, guard);
  }
  return guard;
}
