// The process-wide Deps for entry points that FC calls directly (`handler` exports), built once: injected deps
// (setDeps: the local runtime, tests), else the composition root of the mode, if the process loaded it.
import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import type { Deps } from './deps.ts';

let current: Deps | undefined;
let localRoot: ((config: Config) => Deps) | undefined;
let cloudRoot: ((config: Config) => Deps) | undefined;

/** The Deps of this process, built on first use. Throws ConfigError when the environment cannot be served. */
export function getDeps(): Deps {
  if (current) return current;
  const config = loadConfig();
  if (config.mode === 'cloud') {
    if (!cloudRoot) {
      throw new ConfigError(
        'RUNTIME_MODE is cloud (or FC_FUNCTION_NAME is set), but this process has no cloud composition root: run a ' +
          'bundle from `npm run build`, or import shared/deps/cloud-deps.ts first; locally, use `npm start`.',
        ['RUNTIME_MODE'],
      );
    }
    current = cloudRoot(config);
    return current;
  }
  if (!localRoot) {
    throw new ConfigError(
      'local mode: no Deps were provided. Run the functions through the local runtime (`npm start`), which injects ' +
        'them with setDeps(), or import shared/deps/local-deps.ts first.',
      ['RUNTIME_MODE'],
    );
  }
  current = localRoot(config);
  return current;
}

/** Injects the Deps this process uses (the local runtime, tests). */
export function setDeps(deps: Deps): void {
  current = deps;
}

/** Forgets the process Deps without closing them (tests). */
export function resetDeps(): void {
  current = undefined;
}

/** Called by the cloud composition root when it is loaded (every function bundle contains it). */
export function registerCloudRoot(build: (config: Config) => Deps): void {
  cloudRoot = build;
}

/** Called by the local composition root when it is loaded; never imported by function bundles. */
export function registerLocalRoot(build: (config: Config) => Deps): void {
  localRoot = build;
}
