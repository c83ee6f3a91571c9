// One zod schema over the environment. Read once in a composition root (shared/deps); adapters never touch
// process.env. A wrong or missing variable fails at start with its name in the message.
import { z } from 'zod';
import { TENANT_NAME_PATTERN } from '../domain/tenant.ts';

// zod compiles a parser per object schema (new Function) the first time it parses with it: at a function's
// cold start those compilations cost 30-40 ms of the first invocation (bench/cold-start), more than the
// interpreted parsers ever cost the few small objects we parse per request. Set before anything parses.
z.config({ jitless: true });

export const DASHSCOPE_REGION_HOSTS = {
  'cn-beijing': 'https://dashscope.aliyuncs.com',
  'ap-southeast-1': 'https://dashscope-intl.aliyuncs.com',
} as const;
export type DashScopeRegion = keyof typeof DASHSCOPE_REGION_HOSTS;

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** One CLIENT_API_KEYS entry: the tenant it acts for and the key. */
export interface ConfiguredKey {
  name: string;
  key: string;
}

/** `name=key` or a bare key named `key-<position>`; the issues name the entry by position, never by its text. */
function clientKeyEntries(entries: string[], ctx: z.RefinementCtx): ConfiguredKey[] {
  const out: ConfiguredKey[] = [];
  entries.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    const name = eq === -1 ? `key-${i + 1}` : entry.slice(0, eq);
    const key = eq === -1 ? entry : entry.slice(eq + 1);
    const problem =
      !TENANT_NAME_PATTERN.test(name)
        ? "the tenant name before '=' must be lower-case letters, digits, '-' or '_', starting with a letter or digit, at most 63 characters (a key cannot contain '=')"
        : key.length < 16
          ? 'each key must be at least 16 characters'
          : /\s/.test(key)
            ? 'a key cannot contain spaces'
            : out.some((o) => o.key === key)
              ? 'the same key is listed twice'
              : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: ${problem}` });
    else out.push({ name, key });
  });
  return out;
}

export const envSchema = z.object({
  DASHSCOPE_API_KEY: z.string().min(1).optional(),
  DASHSCOPE_REGION: z.enum(Object.keys(DASHSCOPE_REGION_HOSTS) as [DashScopeRegion, ...DashScopeRegion[]]).default('cn-beijing'),
  DASHSCOPE_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  DASHSCOPE_WORKSPACE: z.string().min(1).optional(),
  DASHSCOPE_TIMEOUT_MS: intFrom(100, 900_000).default(120_000),
  DASHSCOPE_MAX_RETRIES: intFrom(0, 10).default(2),
  RUNTIME_MODE: z.enum(['local', 'cloud']).optional(),
  PORT: intFrom(0, 65_535).optional(),
  FC_CUSTOM_LISTEN_PORT: intFrom(1, 65_535).optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  EMULATOR_PORT: intFrom(0, 65_535).default(9100),
  EMULATOR_TIME_SCALE: z.coerce.number().positive().max(1_000_000).default(1),
  EMULATOR_FAULTS: z.string().optional(),
  // `npm run emulator` only (npm start always uses DATA_DIR/emulator): where it keeps its state across restarts
  EMULATOR_STATE_DIR: z.string().min(1).optional(),
  LOCAL_TIMER_INTERVAL_MS: intFrom(50, 3_600_000).default(2_000),
  RESULT_HOST_ALLOWLIST: list.default(['*.aliyuncs.com']),
  DOWNLOAD_MAX_BYTES: intFrom(1, Number.MAX_SAFE_INTEGER).default(4 * 1024 ** 3),
  DOWNLOAD_TIMEOUT_MS: intFrom(1_000, 3_600_000).default(600_000),
  // each entry `name=key` or a bare key (the tenant `key-<its position>`); a key is sent as
  // `Authorization: Bearer <key>`: one word, or no client could ever present it
  CLIENT_API_KEYS: list.pipe(z.array(z.string()).min(1, 'list at least one key')).transform(clientKeyEntries).optional(),
  /** The server secret client keys are stored under (HMAC-SHA256); locally generated into DATA_DIR when unset. */
  CLIENT_KEY_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** How long a process trusts what the key store said about a key (found or not); 0: asks on every request. */
  CLIENT_KEY_CACHE_MS: intFrom(0, 3_600_000).default(5_000),
  /** Cloud mode: serve requests without a key as the tenant `anonymous` instead of answering 401. */
  ALLOW_ANONYMOUS: bool.default(false),
  /** CNY per USD: the catalogue's prices and the ledger are CNY, budgets and usage reports also speak USD. */
  CNY_PER_USD: z.coerce.number().positive().max(1_000_000).default(7.2),
  CHAT_SUMMARY_MODEL: z.string().min(1).default('qwen-turbo'),
  // Pipelines (POST /v1/pipelines): the article's chat model, the illustration's and the narration's models, the narrator's voice.
  PIPELINE_ARTICLE_MODEL: z.string().min(1).default('qwen-plus'),
  PIPELINE_IMAGE_MODEL: z.string().min(1).default('wanx2.1-t2i-turbo'),
  PIPELINE_SPEECH_MODEL: z.string().min(1).default('qwen3-tts-flash'),
  PIPELINE_VOICE: z.string().min(1).default('Cherry'),
  CHAT_MAX_BODY_BYTES: intFrom(1_024, 32 * 1024 ** 2).default(8 * 1024 ** 2),
  /**
   * Thinking asked for together with JSON mode or a forced tool_choice (DashScope refuses both): `disable` serves
   * the request without thinking and says so in `x-dashscope-fc-thinking`; `refuse` answers 400 as DashScope would.
   */
  CHAT_THINKING_CONFLICT: z.enum(['disable', 'refuse']).default('disable'),
  EMBEDDINGS_MAX_INPUTS: intFrom(1, 100_000).default(2_048),
  SIGNED_URL_TTL_S: intFrom(60, 7 * 86_400).default(3_600),
  PUBLIC_BASE_URL: z.url().optional(),
  OSS_BUCKET: z.string().min(3).optional(),
  OSS_REGION: z.string().min(1).optional(),
  OSS_ENDPOINT: z.string().min(1).optional(),
  OSS_INTERNAL: bool.default(false),
  /** Where signed URLs point (apps fetch from outside); default the region's public endpoint. */
  OSS_PUBLIC_ENDPOINT: z.string().min(1).optional(),
  /** Default (cloud mode): the instance's public endpoint in FC_REGION, reachable from FC without a VPC. */
  OTS_ENDPOINT: z.url().optional(),
  OTS_INSTANCE: z.string().min(1).optional(),
  /** Prefix of the Table Store table names, so several deployments can share one instance. */
  OTS_TABLE_PREFIX: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,40}$|^$/, 'letters, digits and _').default(''),
  EVENTBRIDGE_ENDPOINT: z.string().min(1).optional(),
  EVENTBRIDGE_BUS: z.string().min(1).default('dashscope-fc'),
  FC_FUNCTION_NAME: z.string().optional(),
  FC_REGION: z.string().optional(),
  FC_ACCOUNT_ID: z.string().optional(),
  // the operator's tools only (`npm run ops`): the FC API as an http(s) origin, instead of <account>.<region>.fc.aliyuncs.com
  FC_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  // Limits of our own HTTP servers (FC web functions and the local runtime); see shared/http/server-limits.ts.
  HTTP_REQUEST_TIMEOUT_MS: intFrom(100, 3_600_000).default(30_000),
  HTTP_HEADERS_TIMEOUT_MS: intFrom(100, 3_600_000).default(10_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: intFrom(100, 3_600_000).default(5_000),
  HTTP_MAX_CONNECTIONS: intFrom(1, 1_000_000).default(1_000),
  // Guards (shared/use-cases/guards): `off` admits everything and records no cost (measurements, emergencies).
  GUARDS: z.enum(['on', 'off']).default('on'),
  /** This service's spending limits in USD per UTC day and month, all tenants together; unset: none. */
  BUDGET_DAILY_USD: z.coerce.number().positive().optional(),
  BUDGET_MONTHLY_USD: z.coerce.number().positive().optional(),
  /** `block`: a spent budget answers 402 budget_exceeded; `alert`: only the budget.threshold events. */
  BUDGET_ENFORCEMENT: z.enum(['block', 'alert']).default('block'),
  /** How long a call may wait for the DashScope account's per-second limit before it is answered 429. */
  ACCOUNT_LIMIT_WAIT_MS: intFrom(0, 600_000).default(5_000),
  /** Origins browsers may call the HTTP functions from (CORS): exact origins, or `*`. Empty: no CORS headers. */
  CORS_ALLOWED_ORIGINS: list
    .pipe(z.array(z.union([z.literal('*'), z.url({ protocol: /^https?$/ }).transform((u) => new URL(u).origin)])))
    .default([]),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  mode: 'local' | 'cloud';
  /** Origin of DashScope (no path): region host, or DASHSCOPE_BASE_URL when set. */
  dashscopeOrigin: string;
  /** The port HTTP functions listen on: FC_CUSTOM_LISTEN_PORT on FC, else PORT, else 9000. */
  listenPort: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly variables: string[],
  ) {
    super(message);
  }
}

/** What OTS_ENDPOINT defaults to: the instance's public endpoint in the region. */
export const defaultOtsEndpoint = (instance: string, region: string): string => `https://${instance}.${region}.ots.aliyuncs.com`;

/** Parses the environment; throws ConfigError naming every wrong variable. Never echoes secret values. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${String(i.path[0] ?? '?')}: ${i.message}`);
    throw new ConfigError(
      `invalid environment: ${problems.join('; ')}`,
      parsed.error.issues.map((i) => String(i.path[0] ?? '?')),
    );
  }
  const e = parsed.data;
  const mode = e.RUNTIME_MODE ?? (e.FC_FUNCTION_NAME ? 'cloud' : 'local');
  if (mode === 'cloud') {
    const missing: string[] = (['DASHSCOPE_API_KEY', 'OSS_BUCKET', 'OTS_INSTANCE'] as const).filter((k) => !e[k]);
    // derivable from what FC sets in every function (FC_REGION, FC_ACCOUNT_ID)
    if (!e.OSS_REGION && !e.FC_REGION) missing.push('OSS_REGION');
    if (!e.OTS_ENDPOINT && e.OTS_INSTANCE && e.FC_REGION) e.OTS_ENDPOINT = defaultOtsEndpoint(e.OTS_INSTANCE, e.FC_REGION);
    if (!e.OTS_ENDPOINT) missing.push('OTS_ENDPOINT');
    if (!e.EVENTBRIDGE_ENDPOINT && !(e.FC_ACCOUNT_ID && e.FC_REGION)) missing.push('EVENTBRIDGE_ENDPOINT');
    if (missing.length) throw new ConfigError(`missing in cloud mode: ${missing.join(', ')}`, missing);
  }
  // node:http refuses to start a server whose header deadline is later than its whole-request deadline.
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(`HTTP_HEADERS_TIMEOUT_MS (${e.HTTP_HEADERS_TIMEOUT_MS}) must not exceed HTTP_REQUEST_TIMEOUT_MS (${e.HTTP_REQUEST_TIMEOUT_MS})`, ['HTTP_HEADERS_TIMEOUT_MS']);
  }
  const dashscopeOrigin = (e.DASHSCOPE_BASE_URL ?? DASHSCOPE_REGION_HOSTS[e.DASHSCOPE_REGION]).replace(/\/+$/, '');
  return { ...e, mode, dashscopeOrigin, listenPort: e.FC_CUSTOM_LISTEN_PORT ?? e.PORT ?? 9000 };
}
