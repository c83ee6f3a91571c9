// The environment a deployed function would see, for the rehearsal: FC's own variables, the s.yaml settings
// pointed at the stand-ins and the emulator, and the developer's tunables; nothing else of this shell.
import { randomBytes } from 'node:crypto';
import { envSchema } from '../../shared/config/config.ts';
import type { FunctionSpec } from '../runtime/s-yaml.ts';

export interface CloudTargets {
  region: string;
  accountId: string;
  bucket: string;
  bus: string;
  tablePrefix: string;
  otsEndpoint: string;
  otsInstance: string;
  ossEndpoint: string;
  /** `http://host:port`: the SDK takes the scheme apart from the host. */
  eventBridgeEndpoint: string;
  dashscopeUrl: string;
  dashscopeKey: string;
  /** CLIENT_KEY_SECRET of every function: the shell's, else one made for this run (the key table starts empty). */
  clientKeySecret: string;
}

/** Where a rehearsed function's services are: the stand-ins' endpoints and the emulator. */
export function cloudTargets(
  t: { region: string; accountId: string; bucket: string; bus: string; tablePrefix: string },
  standins: { ots: { endpoint: string; instance: string }; oss: { endpoint: string }; bus: { endpoint: string } },
  emulator: { url: string; apiKey: string },
  shell: NodeJS.ProcessEnv = {},
): CloudTargets {
  return {
    ...t,
    otsEndpoint: standins.ots.endpoint,
    otsInstance: standins.ots.instance,
    ossEndpoint: standins.oss.endpoint,
    eventBridgeEndpoint: `http://${standins.bus.endpoint}`,
    dashscopeUrl: emulator.url,
    dashscopeKey: emulator.apiKey,
    clientKeySecret: shell.CLIENT_KEY_SECRET || randomBytes(32).toString('base64url'),
  };
}

/**
 * Whether the rehearsed functions serve requests without a key: as the shell says (ALLOW_ANONYMOUS), else when no
 * CLIENT_API_KEYS are set, as `npm start` does without keys (a deployment without keys needs ALLOW_ANONYMOUS=true).
 */
export const rehearsalAllowsAnonymous = (shell: NodeJS.ProcessEnv): boolean =>
  shell.ALLOW_ANONYMOUS ? shell.ALLOW_ANONYMOUS === 'true' || shell.ALLOW_ANONYMOUS === '1' : !shell.CLIENT_API_KEYS;

/** Set by the rehearsal itself, or meaningful only to `npm start`: never passed on from the shell. */
const NOT_PASSED_ON = new Set([
  'RUNTIME_MODE', 'PORT', 'DATA_DIR', 'PUBLIC_BASE_URL', 'LOCAL_TIMER_INTERVAL_MS', 'EMULATOR_PORT', 'EMULATOR_TIME_SCALE',
  'EMULATOR_FAULTS', 'EMULATOR_STATE_DIR', 'DASHSCOPE_API_KEY', 'DASHSCOPE_BASE_URL', 'DASHSCOPE_REGION', 'OSS_BUCKET',
  'OSS_REGION', 'OSS_ENDPOINT', 'OSS_PUBLIC_ENDPOINT', 'OSS_INTERNAL', 'OTS_ENDPOINT', 'OTS_INSTANCE', 'OTS_TABLE_PREFIX',
  'EVENTBRIDGE_ENDPOINT', 'EVENTBRIDGE_BUS', 'CLIENT_KEY_SECRET', 'ALLOW_ANONYMOUS', 'FC_FUNCTION_NAME', 'FC_REGION', 'FC_ACCOUNT_ID', 'FC_CUSTOM_LISTEN_PORT', 'FC_ENDPOINT',
]);

export function functionEnv(spec: FunctionSpec, t: CloudTargets, shell: NodeJS.ProcessEnv, listenPort?: number): NodeJS.ProcessEnv {
  const tunables = Object.keys(envSchema.shape).filter((k) => !NOT_PASSED_ON.has(k) && shell[k] !== undefined);
  // RESULT_HOST_ALLOWLIST is the deployment's list plus the emulator, whose result URLs are plain http on loopback
  const allowlist = [shell.RESULT_HOST_ALLOWLIST || '*.aliyuncs.com', t.dashscopeUrl].join(',');
  return {
    ...Object.fromEntries(tunables.map((k) => [k, shell[k]])),
    PATH: shell.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    ...(shell.HOME ? { HOME: shell.HOME } : {}),
    RUNTIME_MODE: 'cloud',
    FC_FUNCTION_NAME: spec.functionName,
    FC_REGION: t.region,
    FC_ACCOUNT_ID: t.accountId,
    ...(spec.handler ? { FC_FUNCTION_HANDLER: spec.handler } : {}),
    ...(spec.memoryMb ? { FC_FUNCTION_MEMORY_SIZE: String(spec.memoryMb) } : {}),
    ...(listenPort !== undefined ? { FC_CUSTOM_LISTEN_PORT: String(listenPort) } : {}),
    DASHSCOPE_API_KEY: t.dashscopeKey,
    DASHSCOPE_BASE_URL: t.dashscopeUrl,
    RESULT_HOST_ALLOWLIST: allowlist,
    OSS_BUCKET: t.bucket,
    OSS_REGION: `oss-${t.region}`,
    OSS_ENDPOINT: t.ossEndpoint,
    OSS_PUBLIC_ENDPOINT: t.ossEndpoint,
    OTS_ENDPOINT: t.otsEndpoint,
    OTS_INSTANCE: t.otsInstance,
    OTS_TABLE_PREFIX: t.tablePrefix,
    EVENTBRIDGE_ENDPOINT: t.eventBridgeEndpoint,
    EVENTBRIDGE_BUS: t.bus,
    CLIENT_KEY_SECRET: t.clientKeySecret,
    ALLOW_ANONYMOUS: String(rehearsalAllowsAnonymous(shell)),
  };
}
