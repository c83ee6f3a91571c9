// Opens the ledger `npm run usage` reads: the local composition root's store under DATA_DIR, or in cloud mode
// (RUNTIME_MODE=cloud) the cloud root's, signed with the operator's access key. Built on first use.
import { loadConfig } from '../../shared/config/config.ts';
import { createCloudDeps } from '../../shared/deps/cloud-deps.ts';
import type { Deps } from '../../shared/deps/deps.ts';
import { createLocalDeps } from '../../shared/deps/local-deps.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import type { GuardStore } from '../../shared/ports/guard-store.ts';
import { FcCredentials } from '../../shared/runtime/fc-credentials.ts';
import { loadOperatorConfig, operatorCredentials, REQUIRE } from '../operator-env.ts';

export interface UsageStore {
  guards: () => Pick<GuardStore, 'listLedger'>;
  /** CNY_PER_USD from the environment. */
  cnyPerUsd: () => number;
  close: () => Promise<void>;
}

/** Whether the environment asks for the cloud store, as loadConfig decides the mode. */
export const wantsCloud = (env: NodeJS.ProcessEnv): boolean => (env.RUNTIME_MODE || (env.FC_FUNCTION_NAME ? 'cloud' : 'local')) === 'cloud';

export function usageStoreFromEnv(env: NodeJS.ProcessEnv): UsageStore {
  const cloud = wantsCloud(env);
  let deps: Deps | undefined;
  const open = (): Deps => {
    if (deps) return deps;
    if (!cloud) return (deps = createLocalDeps(loadConfig({ ...env, RUNTIME_MODE: 'local' }), { logger: silentLogger }));
    // the cloud root builds every client; the operator's tools ask for what it needs, naming what to set
    const config = loadOperatorConfig(env, [REQUIRE.otsEndpoint, REQUIRE.otsInstance, REQUIRE.ossBucket, REQUIRE.ossRegion, REQUIRE.eventBridge]);
    operatorCredentials(env);
    return (deps = createCloudDeps(config, { logger: silentLogger, credentials: new FcCredentials(env) }));
  };
  return {
    guards: () => {
      const guards = open().guards;
      if (!guards) throw new Error(`this build has no ${cloud ? 'Table Store' : 'local'} guard store: the cost ledger cannot be read`);
      return guards;
    },
    cnyPerUsd: () => loadConfig({ ...env, RUNTIME_MODE: 'local' }).CNY_PER_USD,
    close: async () => {
      await deps?.close();
    },
  };
}
