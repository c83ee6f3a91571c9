// What `npm run start:cloud` prints at start: the stand-ins and the emulator, each function's process as FC
// would run it, every public route with its function, a request to try, the timer and OSS triggers, and how to
// point `npm run ops` at the rehearsal.
import { chatCurl, CHAT_PATH } from '../runtime/banner.ts';
import type { OssRoute } from '../runtime/oss-triggers.ts';
import type { RuntimeRoute } from '../runtime/route-table.ts';
import type { TimerHandle } from '../runtime/timers.ts';

export interface FunctionLine {
  name: string;
  pid: number | undefined;
  /** e.g. `node server.mjs on port 40123 (custom.debian10)`. */
  how: string;
}

export interface CloudDescription {
  sYamlPath: string;
  stateDir: string;
  emulatorUrl: string;
  ots: { endpoint: string; instance: string; tables: string };
  oss: { endpoint: string; bucket: string };
  eventBridge: { endpoint: string; bus: string };
  /** The FC API stand-in, and the environment that points `npm run ops` at the rehearsal. */
  fcApi: { origin: string; opsEnv: Record<string, string> };
  functions: readonly FunctionLine[];
  url: string;
  /** How many CLIENT_API_KEYS the functions have (the key table of the stand-in starts empty). */
  clientKeys: number;
  /** Whether the functions serve requests without a key (ALLOW_ANONYMOUS=true). */
  anonymous: boolean;
  routes: readonly RuntimeRoute[];
  timers: readonly TimerHandle[];
  intervalMs: number;
  ossTriggers: readonly OssRoute[];
  notes: readonly string[];
}

export function describeCloud(d: CloudDescription): string[] {
  const lines = [
    `dashscope-fc cloud rehearsal: the bundles of dist/ run as Function Compute runs them (${d.sYamlPath}), state in ${d.stateDir} (cleared at start)`,
    `DashScope emulator at ${d.emulatorUrl}; the functions' DASHSCOPE_BASE_URL points at it`,
    `Table Store stand-in at ${d.ots.endpoint} (instance ${d.ots.instance}, tables ${d.ots.tables})`,
    `OSS stand-in at ${d.oss.endpoint} (bucket ${d.oss.bucket}; signed output URLs point here)`,
    `EventBridge stand-in at ${d.eventBridge.endpoint} (bus ${d.eventBridge.bus})`,
    `FC API stand-in at ${d.fcApi.origin} (InvokeFunction, ListTriggers, GetTrigger over the functions below)`,
  ];
  for (const f of d.functions) lines.push(`function ${f.name.padEnd(15)} pid ${String(f.pid ?? '?').padEnd(8)} ${f.how}`);
  lines.push(
    d.anonymous
      ? `client keys: ALLOW_ANONYMOUS=true, so requests without a key are served as the tenant 'anonymous'${d.clientKeys > 0 ? `; ${d.clientKeys} CLIENT_API_KEYS checked when sent` : ' (set CLIENT_API_KEYS to require keys)'}`
      : `client keys: enforced (${d.clientKeys} in CLIENT_API_KEYS); send one as Authorization: Bearer <key>`,
    `HTTP on ${d.url}`,
  );
  const width = Math.max(20, ...d.routes.map((r) => r.path.length));
  for (const r of d.routes) lines.push(`  ${r.method.padEnd(7)}${r.path.padEnd(width + 2)}→ ${r.fn.name}`);
  lines.push(`  ${'GET'.padEnd(7)}${'/healthz'.padEnd(width + 2)}→ rehearsal (health)`);
  if (d.routes.some((r) => r.method === 'POST' && r.path === CHAT_PATH)) lines.push('try it:', `  ${chatCurl(d.url, d.anonymous ? 0 : d.clientKeys)}`);
  for (const t of d.timers) lines.push(`timer  ${t.fn}/${t.trigger}: every ${d.intervalMs} ms (cloud schedule: ${t.cron})`);
  for (const o of d.ossTriggers) {
    const { prefix = '', suffix = '' } = o.trigger.triggerConfig.filter.key ?? {};
    const how = o.fn.spec.customRuntime ? 'POST /invoke' : 'handler';
    lines.push(`oss    ${o.fn.name}/${o.trigger.triggerName}: ${o.trigger.triggerConfig.events.join(', ')} on keys ${prefix}*${suffix} (${how})`);
  }
  const opsEnv = Object.entries(d.fcApi.opsEnv).map(([k, v]) => `${k}=${v}`).join(' ');
  lines.push(`ops    ${opsEnv} npm run ops -- poll   (or urls, redrive <manifest-key>, task <id>, events)`);
  for (const n of d.notes) lines.push(`note   ${n}`);
  return lines;
}
