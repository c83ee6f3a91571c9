// The steps `npm run setup:cloud` runs, in order, and where each service's resources are: the one place a
// provisioning step is added to the list.
import { join } from 'node:path';
import { readSYaml, type FunctionSpec } from '../../dev/runtime/s-yaml.ts';
import { EventBridgeClient } from '../../shared/adapters/eventbridge/eventbridge-client.ts';
import { eventBusStep } from '../../shared/adapters/eventbridge/event-bus-setup.ts';
import { eventRulesStep } from '../../shared/adapters/eventbridge/event-rules-setup.ts';
import { taskTableNames, type TaskTableNames } from '../../shared/adapters/tablestore/task-tables.ts';
import type { Config } from '../../shared/config/config.ts';
import { eventBridgeEndpoint, ossEndpoints } from '../../shared/deps/cloud-deps.ts';
import type { CloudCredentials } from '../../shared/runtime/fc-credentials.ts';
import { REQUIRE, type Requirement } from '../operator-env.ts';
import { busRules } from './bus-rules.ts';
import type { SetupStep } from './setup-step.ts';
import { bucketLifecycleStep, DEFAULT_LIFECYCLE_RULES } from '../../shared/adapters/oss/bucket-lifecycle.ts';
import { OssClients } from '../../shared/adapters/oss/oss-client.ts';
import { tableSetupStep } from '../../shared/adapters/tablestore/table-setup.ts';
import { TablestoreClient } from '../../shared/adapters/tablestore/tablestore-client.ts';

/** What setup needs from the environment besides the access key. */
const fcFunctions: Requirement = {
  name: 'FC_ACCOUNT_ID and FC_REGION',
  hint: "the account id and region of the functions, the targets of the bus's rules",
  present: (c) => !!(c.FC_ACCOUNT_ID && c.FC_REGION),
};
export const SETUP_REQUIREMENTS: readonly Requirement[] = [REQUIRE.otsEndpoint, REQUIRE.otsInstance, REQUIRE.ossBucket, REQUIRE.ossRegion, REQUIRE.eventBridge, fcFunctions];

/** The functions as deployed: s.yaml, read as the local runtime reads it. */
export const S_YAML = join(import.meta.dirname, '..', '..', 's.yaml');

/** The deployment's resources as the functions address them, for the steps to build their clients from. */
export interface SetupTargets {
  credentials: CloudCredentials;
  ots: { endpoint: string; instance: string; prefix: string; tables: TaskTableNames; conversations: string };
  /** The public endpoint: setup runs outside Alibaba Cloud's network. */
  oss: { bucket: string; region: string; endpoint: string };
  bus: { endpoint: string; protocol: 'http' | 'https'; busName: string; regionId?: string };
  /** Where the bus's rules deliver: the functions' account and region. */
  functions: { accountId: string; region: string; specs: readonly FunctionSpec[] };
}

export function setupTargets(config: Config, credentials: CloudCredentials, specs: readonly FunctionSpec[] = readSYaml(S_YAML, {})): SetupTargets {
  const oss = ossEndpoints({ ...config, OSS_INTERNAL: false });
  return {
    credentials,
    ots: { endpoint: config.OTS_ENDPOINT!, instance: config.OTS_INSTANCE!, prefix: config.OTS_TABLE_PREFIX, tables: taskTableNames(config.OTS_TABLE_PREFIX), conversations: `${config.OTS_TABLE_PREFIX}conversations` },
    oss: { bucket: config.OSS_BUCKET!, region: oss.region, endpoint: oss.endpoint },
    bus: { ...eventBridgeEndpoint(config), busName: config.EVENTBRIDGE_BUS, ...(config.FC_REGION ? { regionId: config.FC_REGION } : {}) },
    functions: { accountId: config.FC_ACCOUNT_ID!, region: config.FC_REGION!, specs },
  };
}

/**
 * The provisioning steps, applied in this order: the tables first (no function can start without them), then
 * the event bus, the bus's rules to the functions (fc3's eventbridge triggers cannot take a custom bus), then
 * the bucket's lifecycle rules. `specs` are s.yaml's functions (read from the repository's s.yaml by default).
 */
export function setupSteps(config: Config, credentials: CloudCredentials, specs?: readonly FunctionSpec[]): SetupStep[] {
  return serviceSteps(setupTargets(config, credentials, specs));
}

function serviceSteps(t: SetupTargets): SetupStep[] {
  const credentials = () => t.credentials;
  const ots = new TablestoreClient({ endpoint: t.ots.endpoint, instance: t.ots.instance, credentials });
  const oss = new OssClients({ bucket: t.oss.bucket, region: t.oss.region, endpoint: t.oss.endpoint, publicEndpoint: t.oss.endpoint, credentials: async () => t.credentials });
  const { busName, ...bus } = t.bus;
  const eventBridge = new EventBridgeClient({ ...bus, credentials });
  // On the account's default bus fc3's own eventbridge triggers (eventSourceType Default) already deliver these
  // patterns: a rule of ours there would deliver every event twice.
  const rules = busName === 'default' ? [] : [eventRulesStep(eventBridge, busName, busRules(t.functions.specs, t.functions))];
  return [tableSetupStep(ots, t.ots.prefix), eventBusStep(eventBridge, busName), ...rules, bucketLifecycleStep(oss, DEFAULT_LIFECYCLE_RULES)];
}
