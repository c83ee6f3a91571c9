// What the operator's tools (`npm run setup:cloud`, `npm run ops`) read from the environment: the functions'
// own configuration and an access key, with every missing variable named alongside what to set it to.
import { defaultOtsEndpoint, loadConfig, type Config } from '../shared/config/config.ts';
import type { CloudCredentials } from '../shared/runtime/fc-credentials.ts';

/** A variable (or one of several alternatives) a command needs, with what to set. */
export interface Requirement {
  /** e.g. `OTS_ENDPOINT`, or `OSS_REGION or FC_REGION`. */
  name: string;
  hint: string;
  present(config: Config): boolean;
}

export class OperatorEnvError extends Error {
  override name = 'OperatorEnvError';
}

export const REQUIRE = {
  otsEndpoint: {
    name: 'OTS_ENDPOINT (or OTS_INSTANCE and FC_REGION)',
    hint: 'the Table Store instance endpoint, by default https://<instance>.<region>.ots.aliyuncs.com',
    present: (c) => !!c.OTS_ENDPOINT,
  },
  otsInstance: { name: 'OTS_INSTANCE', hint: 'the Table Store instance name', present: (c) => !!c.OTS_INSTANCE },
  ossBucket: { name: 'OSS_BUCKET', hint: 'the bucket of inbox/, results/ and media/', present: (c) => !!c.OSS_BUCKET },
  ossRegion: { name: 'OSS_REGION or FC_REGION', hint: 'the region, e.g. cn-beijing', present: (c) => !!(c.OSS_REGION || c.FC_REGION) },
  eventBridge: {
    name: 'EVENTBRIDGE_ENDPOINT or FC_ACCOUNT_ID and FC_REGION',
    hint: "the account id and region, or EventBridge's endpoint",
    present: (c) => !!(c.EVENTBRIDGE_ENDPOINT || (c.FC_ACCOUNT_ID && c.FC_REGION)),
  },
  fcApi: {
    name: 'FC_ACCOUNT_ID and FC_REGION, or FC_ENDPOINT',
    hint: 'the account id and region of the functions, or the FC API origin',
    present: (c) => !!(c.FC_ENDPOINT || (c.FC_ACCOUNT_ID && c.FC_REGION)),
  },
} satisfies Record<string, Requirement>;

/**
 * The configuration as the functions read it (cloud settings, without the checks only a running function
 * needs, such as DASHSCOPE_API_KEY), failing with every missing requirement named.
 */
export function loadOperatorConfig(env: NodeJS.ProcessEnv, required: readonly Requirement[]): Config {
  // 'local' skips the function-side cloud checks; this tool asks for what it needs itself
  const config = loadConfig({ ...env, RUNTIME_MODE: 'local', FC_FUNCTION_NAME: '' });
  // the default the functions apply in cloud mode
  if (!config.OTS_ENDPOINT && config.OTS_INSTANCE && config.FC_REGION) config.OTS_ENDPOINT = defaultOtsEndpoint(config.OTS_INSTANCE, config.FC_REGION);
  const missing = required.filter((r) => !r.present(config));
  if (missing.length) throw new OperatorEnvError(`missing: ${missing.map((m) => `${m.name} (${m.hint})`).join('; ')}`);
  return config;
}

/** The operator's access key (a RAM user's, or STS credentials with their token). */
export function operatorCredentials(env: NodeJS.ProcessEnv): Required<Pick<CloudCredentials, 'accessKeyId' | 'accessKeySecret'>> & CloudCredentials {
  const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  const missing = [!accessKeyId && 'ALIBABA_CLOUD_ACCESS_KEY_ID', !accessKeySecret && 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'].filter(Boolean);
  if (missing.length || !accessKeyId || !accessKeySecret) {
    throw new OperatorEnvError(`missing: ${missing.join(', ')} (an access key allowed to manage the deployment; ALIBABA_CLOUD_SECURITY_TOKEN too for STS credentials)`);
  }
  const securityToken = env.ALIBABA_CLOUD_SECURITY_TOKEN;
  return { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) };
}

/**
 * One line for the operator: the message only (no stack), on one line, clipped, and with every secret
 * replaced, since an SDK may quote what it was given.
 */
export function oneLine(e: unknown, secrets: readonly (string | undefined)[] = []): string {
  let text = e instanceof Error ? e.message || e.name : String(e);
  for (const s of secrets) if (s && s.length >= 4) text = text.split(s).join('***');
  text = text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
