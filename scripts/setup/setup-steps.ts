// The steps `npm run setup:cloud` runs, in order, and where each service's resources are: the one place a
// provisioning step is added to the list.
import { EventBridgeClient } from '../../shared/adapters/eventbridge/eventbridge-client.ts';
import { eventBusStep } from '../../shared/adapters/eventbridge/event-bus-setup.ts';
import { taskTableNames, type TaskTableNames } from '../../shared/adapters/tablestore/task-tables.ts';
import type { Config } from '../../shared/config/config.ts';
import { eventBridgeEndpoint, ossEndpoints } from '../../shared/deps/cloud-deps.ts';
import type { CloudCredentials } from '../../shared/runtime/fc-credentials.ts';
import { REQUIRE, type Requirement } from '../operator-env.ts';
import type { SetupStep } from './setup-step.ts';
import { bucketLifecycleStep, DEFAULT_LIFECYCLE_RULES } from '../../shared/adapters/oss/bucket-lifecycle.ts';
import { OssClients } from '../../shared/adapters/oss/oss-client.ts';
import { tableSetupStep } from '../../shared/adapters/tablestore/table-setup.ts';
import { TablestoreClient } from '../../shared/adapters/tablestore/tablestore-client.ts';

/** What setup needs from the environment besides the access key. */
export const SETUP_REQUIREMENTS: readonly Requirement[] = [REQUIRE.otsEndpoint, REQUIRE.otsInstance, REQUIRE.ossBucket, REQUIRE.ossRegion, REQUIRE.eventBridge];

/** The deployment's resources as the functions address them, for the steps to build their clients from. */
export interface SetupTargets {
  credentials: CloudCredentials;
  ots: { endpoint: string; instance: string; prefix: string; tables: TaskTableNames; conversations: string };
  /** The public endpoint: setup runs outside Alibaba Cloud's network. */
  oss: { bucket: string; region: string; endpoint: string };
  bus: { endpoint: string; protocol: 'http' | 'https'; busName: string; regionId?: string };
}

export function setupTargets(config: Config, credentials: CloudCredentials): SetupTargets {
  const oss = ossEndpoints({ ...config, OSS_INTERNAL: false });
  return {
    credentials,
    ots: { endpoint: config.OTS_ENDPOINT!, instance: config.OTS_INSTANCE!, prefix: config.OTS_TABLE_PREFIX, tables: taskTableNames(config.OTS_TABLE_PREFIX), conversations: `${config.OTS_TABLE_PREFIX}conversations` },
    oss: { bucket: config.OSS_BUCKET!, region: oss.region, endpoint: oss.endpoint },
    bus: { ...eventBridgeEndpoint(config), busName: config.EVENTBRIDGE_BUS, ...(config.FC_REGION ? { regionId: config.FC_REGION } : {}) },
  };
}

/**
 * The provisioning steps, applied in this order: the tables first (no function can start without them), then
 * the event bus, then the bucket's lifecycle rules.
 */
export function setupSteps(config: Config, credentials: CloudCredentials): SetupStep[] {
  return serviceSteps(setupTargets(config, credentials));
}

function serviceSteps(t: SetupTargets): SetupStep[] {
  const credentials = () => t.credentials;
  const ots = new TablestoreClient({ endpoint: t.ots.endpoint, instance: t.ots.instance, credentials });
  const oss = new OssClients({ bucket: t.oss.bucket, region: t.oss.region, endpoint: t.oss.endpoint, publicEndpoint: t.oss.endpoint, credentials: async () => t.credentials });
  const { busName, ...bus } = t.bus;
  const eventBridge = new EventBridgeClient({ ...bus, credentials });
  return [tableSetupStep(ots, t.ots.prefix), eventBusStep(eventBridge, busName), bucketLifecycleStep(oss, DEFAULT_LIFECYCLE_RULES)];
}
