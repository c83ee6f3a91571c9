// Builds what `npm run keys` needs from the environment: locally DATA_DIR's SQLite database and secret (as `npm
// start` finds them), in cloud mode (RUNTIME_MODE=cloud) Table Store with the operator's access key.
import { join } from 'node:path';
import { openDatabase, type Database } from '../../shared/adapters/sqlite/database.ts';
import { SqliteKeyStore } from '../../shared/adapters/sqlite/sqlite-key-store.ts';
import { TablestoreClient } from '../../shared/adapters/tablestore/tablestore-client.ts';
import { keyTableName, TablestoreKeyStore } from '../../shared/adapters/tablestore/tablestore-key-store.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { cloudClientKeySecret } from '../../shared/deps/cloud-deps.ts';
import { localClientKeySecret } from '../../shared/deps/local-deps.ts';
import type { KeyStore } from '../../shared/ports/key-store.ts';
import { systemClock, uuidIds } from '../../shared/ports/clock.ts';
import { loadOperatorConfig, operatorCredentials, REQUIRE } from '../operator-env.ts';
import type { KeysDeps } from './keys-commands.ts';

export interface KeysWiring {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

export function keysDepsFromEnv(w: KeysWiring): KeysDeps & { close(): void } {
  const cloud = w.env.RUNTIME_MODE === 'cloud';
  const common = { clock: systemClock, ids: uuidIds, out: w.out, err: w.err, secrets: [w.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET, w.env.ALIBABA_CLOUD_SECURITY_TOKEN, w.env.CLIENT_KEY_SECRET] };
  if (cloud) {
    const config = () => loadOperatorConfig(w.env, [REQUIRE.otsEndpoint, REQUIRE.otsInstance]);
    let store: KeyStore | undefined;
    return {
      ...common,
      keys: () => {
        if (store) return store;
        const c = config();
        const creds = operatorCredentials(w.env);
        store = new TablestoreKeyStore(new TablestoreClient({ endpoint: c.OTS_ENDPOINT!, instance: c.OTS_INSTANCE!, credentials: () => creds }), keyTableName(c.OTS_TABLE_PREFIX));
        return store;
      },
      clientKeySecret: () => cloudClientKeySecret(config())(),
      where: () => `Table Store table ${keyTableName(config().OTS_TABLE_PREFIX)} of ${config().OTS_INSTANCE}`,
      close: () => undefined,
    };
  }
  // the variables `npm start` reads, in local mode whatever else the shell holds
  const config = loadConfig({ ...w.env, RUNTIME_MODE: 'local', FC_FUNCTION_NAME: '' });
  const file = join(config.DATA_DIR, 'local.db');
  let db: Database | undefined;
  let store: KeyStore | undefined;
  return {
    ...common,
    keys: () => (store ??= new SqliteKeyStore((db = openDatabase(file)))),
    clientKeySecret: localClientKeySecret(config),
    where: () => file,
    close: () => db?.close(),
  };
}
