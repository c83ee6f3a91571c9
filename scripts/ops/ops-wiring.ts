// Builds what `npm run ops` needs from the environment and s.yaml, each client on first use, so a command asks
// only for its own variables (a missing one is named with what to set).
import { join } from 'node:path';
import { EventBridgeClient } from '../../shared/adapters/eventbridge/eventbridge-client.ts';
import { recentEvents } from '../../shared/adapters/eventbridge/recent-events.ts';
import { TablestoreClient } from '../../shared/adapters/tablestore/tablestore-client.ts';
import { TablestoreTaskStore } from '../../shared/adapters/tablestore/tablestore-task-store.ts';
import { taskTableNames } from '../../shared/adapters/tablestore/task-tables.ts';
import { eventBridgeEndpoint } from '../../shared/deps/cloud-deps.ts';
import { readSYaml } from '../../dev/runtime/s-yaml.ts';
import { loadOperatorConfig, operatorCredentials, REQUIRE } from '../operator-env.ts';
import { FcApi, fcEndpoint } from './fc-api.ts';
import type { OpsDeps, RecentEvents } from './ops-commands.ts';

const REPO = join(import.meta.dirname, '..', '..');

export interface OpsWiring {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Default: s.yaml at the repository's root. */
  sYamlPath?: string;
  now?: () => Date;
}

const once = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
};

export function opsDepsFromEnv(w: OpsWiring): OpsDeps {
  const config = (...required: Parameters<typeof loadOperatorConfig>[1]) => loadOperatorConfig(w.env, required);
  const credentials = once(() => operatorCredentials(w.env));
  const now = w.now ?? (() => new Date());
  const bus = once(() => {
    const c = config(REQUIRE.eventBridge);
    const creds = credentials();
    const client = new EventBridgeClient({ ...eventBridgeEndpoint(c), ...(c.FC_REGION ? { regionId: c.FC_REGION } : {}), credentials: () => creds });
    return { client, busName: c.EVENTBRIDGE_BUS };
  });
  const events: RecentEvents = async (q) => {
    const { client, busName } = bus();
    return recentEvents(client, { busName, since: q.since, until: now(), limit: q.limit });
  };
  return {
    functions: readSYaml(w.sYamlPath ?? join(REPO, 's.yaml'), w.env),
    fc: once(() => {
      const c = config(REQUIRE.fcApi);
      const target = c.FC_ENDPOINT ? fcEndpoint(c.FC_ENDPOINT) : { endpoint: `${c.FC_ACCOUNT_ID}.${c.FC_REGION}.fc.aliyuncs.com`, protocol: 'https' as const };
      return new FcApi({ ...target, credentials: credentials() });
    }),
    tasks: once(() => {
      const c = config(REQUIRE.otsEndpoint, REQUIRE.otsInstance);
      const creds = credentials();
      return new TablestoreTaskStore(new TablestoreClient({ endpoint: c.OTS_ENDPOINT!, instance: c.OTS_INSTANCE!, credentials: () => creds }), taskTableNames(c.OTS_TABLE_PREFIX));
    }),
    bucket: once(() => {
      const c = config(REQUIRE.ossBucket, REQUIRE.ossRegion);
      return { name: c.OSS_BUCKET!, region: (c.OSS_REGION ?? c.FC_REGION!).replace(/^oss-/, ''), accountId: c.FC_ACCOUNT_ID ?? '' };
    }),
    recentEvents: events,
    now,
    out: w.out,
    err: w.err,
    secrets: [w.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET, w.env.ALIBABA_CLOUD_SECURITY_TOKEN],
  };
}
