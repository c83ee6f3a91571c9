// What the local runtime prints at start: where DashScope is, whether client keys are checked (or it is open), a request to
// try, every route, timer, OSS and EventBridge trigger, and anything in s.yaml not served as written.
import type { EventBridgeHandle } from './eventbridge-triggers.ts';
import type { OssRoute } from './oss-triggers.ts';
import type { RuntimeRoute } from './route-table.ts';
import type { TimerHandle } from './timers.ts';

export interface RuntimeDescription {
  sYamlPath: string;
  dataDir: string;
  url: string;
  emulator?: { url: string };
  dashscopeOrigin: string;
  /** A loopback DASHSCOPE_BASE_URL origin the runtime added to RESULT_HOST_ALLOWLIST. */
  trustedOrigin?: string;
  /**
   * How many CLIENT_API_KEYS are configured and how many usable keys the key store holds (never the keys); `open`:
   * no key anywhere (none configured, the store empty), so every request acts as the open local tenant.
   */
  clientKeys: { configured: number; stored: number; open: boolean };
  routes: readonly RuntimeRoute[];
  timers: readonly TimerHandle[];
  intervalMs: number;
  oss: readonly OssRoute[];
  bridge: readonly EventBridgeHandle[];
  notes: readonly string[];
}

export const CHAT_PATH = '/v1/chat/completions';

/** One chat request that works against this runtime, as a developer would paste it. */
export function chatCurl(url: string, clientKeys: number): string {
  const auth = clientKeys > 0 ? ` -H "Authorization: Bearer $CLIENT_KEY"` : '';
  const body = JSON.stringify({ model: 'qwen-plus', messages: [{ role: 'user', content: 'Hello' }] });
  return `curl -s ${url}${CHAT_PATH} -H 'content-type: application/json'${auth} -d '${body}'`;
}

export function describeRuntime(d: RuntimeDescription): string[] {
  const lines = [`dashscope-fc local runtime: ${d.sYamlPath}, data in ${d.dataDir}`];
  lines.push(
    d.emulator
      ? `DashScope emulator started at ${d.emulator.url} (DASHSCOPE_API_KEY is not set); the DashScope client points at it`
      : `DashScope: ${d.dashscopeOrigin} (DASHSCOPE_API_KEY is set)`,
  );
  if (d.trustedOrigin) {
    lines.push(`persist-to-oss may download results from ${d.trustedOrigin} (DASHSCOPE_BASE_URL is a loopback address; added to RESULT_HOST_ALLOWLIST)`);
  }
  const k = d.clientKeys;
  lines.push(
    k.open
      ? "client keys: none (no CLIENT_API_KEYS, none in the key store), so this runtime is open: every request acts as the tenant 'local' (admin). Make one with npm run keys -- create --name NAME"
      : `client keys: enforced (${k.configured} in CLIENT_API_KEYS, ${k.stored} in the key store); send one as Authorization: Bearer <key>`,
  );
  lines.push(`HTTP on ${d.url}`);
  const width = Math.max(20, ...d.routes.map((r) => r.path.length));
  for (const r of d.routes) lines.push(`  ${r.method.padEnd(7)}${r.path.padEnd(width + 2)}→ ${r.fn.name}`);
  lines.push(`  ${'GET'.padEnd(7)}${'/healthz'.padEnd(width + 2)}→ runtime (health)`);
  lines.push(`  ${'GET'.padEnd(7)}${'/_oss/<key>'.padEnd(width + 2)}→ runtime (local object URLs)`);
  if (d.routes.some((r) => r.method === 'POST' && r.path === CHAT_PATH)) {
    lines.push(`try it${k.open ? '' : ' (with CLIENT_KEY set to one of the keys)'}:`, `  ${chatCurl(d.url, k.open ? 0 : 1)}`);
  }
  for (const t of d.timers) lines.push(`timer  ${t.fn}/${t.trigger}: every ${d.intervalMs} ms locally (cloud schedule: ${t.cron})`);
  for (const o of d.oss) {
    const { prefix = '', suffix = '' } = o.trigger.triggerConfig.filter.key ?? {};
    lines.push(`oss    ${o.fn.name}/${o.trigger.triggerName}: ${o.trigger.triggerConfig.events.join(', ')} on keys ${prefix}*${suffix}`);
  }
  for (const b of d.bridge) lines.push(`events ${b.fn}/${b.trigger}: bus events matching ${b.pattern}`);
  for (const n of d.notes) lines.push(`note   ${n}`);
  return lines;
}
