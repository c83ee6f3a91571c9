// The cloud composition root: Table Store, OSS and EventBridge through clients of our own over node:http(s), signed
// with the role credentials each invocation brings (FcCredentials), built once per instance from the environment.
import { EventBridgeEventBus } from '../adapters/eventbridge/eventbridge-event-bus.ts';
import { OssObjectStore } from '../adapters/oss/oss-object-store.ts';
import { downloadOptionsFromConfig } from '../adapters/result-download/download-options.ts';
import { HttpResultSource } from '../adapters/result-download/http-result-source.ts';
import { guardTableNames } from '../adapters/tablestore/guard-tables.ts';
import { TablestoreClient } from '../adapters/tablestore/tablestore-client.ts';
import { TablestoreConversationStore } from '../adapters/tablestore/tablestore-conversation-store.ts';
import { TablestoreGuardStore } from '../adapters/tablestore/tablestore-guard-store.ts';
import { keyTableName, TablestoreKeyStore } from '../adapters/tablestore/tablestore-key-store.ts';
import { pipelineTableNames, TablestorePipelineStore } from '../adapters/tablestore/tablestore-pipeline-store.ts';
import { TablestoreTaskStore } from '../adapters/tablestore/tablestore-task-store.ts';
import { taskTableNames } from '../adapters/tablestore/task-tables.ts';
import { ConfigError, type Config } from '../config/config.ts';
import { createDashScopeClient } from '../dashscope/client.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { systemClock, uuidIds } from '../ports/clock.ts';
import { FcCredentials } from '../runtime/fc-credentials.ts';
import type { Deps } from './deps.ts';
import { registerCloudRoot } from './get-deps.ts';

export interface CloudDepsOptions {
  logger?: Logger;
  /** The credentials holder (default: one over this process's environment). */
  credentials?: FcCredentials;
}

/** `cn-beijing` from `oss-cn-beijing` or `cn-beijing`. */
const bareRegion = (region: string) => region.replace(/^oss-/, '');

/** The OSS endpoints: data on the internal endpoint when OSS_INTERNAL (same region, inside FC), URLs on the public one. */
export function ossEndpoints(config: Config): { region: string; endpoint: string; publicEndpoint: string } {
  const region = bareRegion(config.OSS_REGION ?? config.FC_REGION ?? '');
  const publicEndpoint = config.OSS_PUBLIC_ENDPOINT ?? `https://oss-${region}.aliyuncs.com`;
  const endpoint = config.OSS_ENDPOINT ?? (config.OSS_INTERNAL ? `https://oss-${region}-internal.aliyuncs.com` : publicEndpoint);
  return { region, endpoint, publicEndpoint };
}

/** EventBridge's endpoint as its client takes it: a bare host, and the protocol apart (a URL's scheme, else https). */
export function eventBridgeEndpoint(config: Config): { endpoint: string; protocol: 'http' | 'https' } {
  const raw = config.EVENTBRIDGE_ENDPOINT ?? `${config.FC_ACCOUNT_ID}.eventbridge.${config.FC_REGION}.aliyuncs.com`;
  const m = /^(https?):\/\/([^/]+)\/?$/.exec(raw);
  if (m) return { protocol: m[1] as 'http' | 'https', endpoint: m[2]! };
  if (raw.includes('/')) throw new ConfigError(`EVENTBRIDGE_ENDPOINT: '${raw.slice(0, 100)}' is neither a host nor an http(s) origin`, ['EVENTBRIDGE_ENDPOINT']);
  return { protocol: 'https', endpoint: raw };
}

/** Cloud mode's client key secret: CLIENT_KEY_SECRET, which nothing can stand in for (every function must share it). */
export function cloudClientKeySecret(config: Pick<Config, 'CLIENT_KEY_SECRET'>): () => string {
  return () => {
    if (config.CLIENT_KEY_SECRET) return config.CLIENT_KEY_SECRET;
    throw new ConfigError(
      'CLIENT_KEY_SECRET is not set: the client keys of the key store (npm run keys) cannot be checked without it; set it (32+ characters) to the value the keys were made under',
      ['CLIENT_KEY_SECRET'],
    );
  };
}

export function createCloudDeps(config: Config, options: CloudDepsOptions = {}): Deps {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const credentials = options.credentials ?? new FcCredentials(process.env);
  // asked on every call, never cached: each invocation may have brought newer STS credentials
  const sign = async () => credentials.current();
  const ots = new TablestoreClient({ endpoint: config.OTS_ENDPOINT!, instance: config.OTS_INSTANCE!, credentials: sign });
  const oss = ossEndpoints(config);
  const bus = eventBridgeEndpoint(config);
  const dashscope = createDashScopeClient(config);
  return {
    config,
    logger,
    clock: systemClock,
    ids: uuidIds,
    dashscope,
    fineTunes: dashscope,
    tasks: new TablestoreTaskStore(ots, taskTableNames(config.OTS_TABLE_PREFIX)),
    conversations: new TablestoreConversationStore(ots, `${config.OTS_TABLE_PREFIX}conversations`),
    pipelines: new TablestorePipelineStore(ots, pipelineTableNames(config.OTS_TABLE_PREFIX)),
    guards: new TablestoreGuardStore(ots, guardTableNames(config.OTS_TABLE_PREFIX)),
    keys: new TablestoreKeyStore(ots, keyTableName(config.OTS_TABLE_PREFIX)),
    clientKeySecret: cloudClientKeySecret(config),
    objects: new OssObjectStore({ bucket: config.OSS_BUCKET!, ...oss, credentials: sign }),
    events: new EventBridgeEventBus({ ...bus, busName: config.EVENTBRIDGE_BUS, ...(config.FC_REGION ? { regionId: config.FC_REGION } : {}), credentials: sign }),
    results: new HttpResultSource(downloadOptionsFromConfig(config)),
    credentials,
    // the cloud clients hold only idle keep-alive sockets, which Node's agents unref (they keep no process
    // alive); the DashScope client keeps a connection pool
    close: () => dashscope.close(),
  };
}

// A bundle that contains this root builds cloud deps on demand through getDeps().
registerCloudRoot(createCloudDeps);
