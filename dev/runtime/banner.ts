// What the local runtime prints at start: where DashScope is, every route with its function, every timer,
// OSS and EventBridge trigger, and anything in s.yaml that is not served as written.
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
  routes: readonly RuntimeRoute[];
  timers: readonly TimerHandle[];
  intervalMs: number;
  oss: readonly OssRoute[];
  bridge: readonly EventBridgeHandle[];
  notes: readonly string[];
}

export function describeRuntime(d: RuntimeDescription): string[] {
  const lines = [`dashscope-fc local runtime: ${d.sYamlPath}, data in ${d.dataDir}`];
  lines.push(
    d.emulator
      ? `DashScope emulator started at ${d.emulator.url} (DASHSCOPE_API_KEY is not set); the DashScope client points at it`
      : `DashScope: ${d.dashscopeOrigin} (DASHSCOPE_API_KEY is set)`,
  );
  lines.push(`HTTP on ${d.url}`);
  const width = Math.max(20, ...d.routes.map((r) => r.path.length));
  for (const r of d.routes) lines.push(`  ${r.method.padEnd(7)}${r.path.padEnd(width + 2)}→ ${r.fn.name}`);
  lines.push(`  ${'GET'.padEnd(7)}${'/healthz'.padEnd(width + 2)}→ runtime (health)`);
  lines.push(`  ${'GET'.padEnd(7)}${'/_oss/<key>'.padEnd(width + 2)}→ runtime (local object URLs)`);
  for (const t of d.timers) lines.push(`timer  ${t.fn}/${t.trigger}: every ${d.intervalMs} ms locally (cloud schedule: ${t.cron})`);
  for (const o of d.oss) {
    const { prefix = '', suffix = '' } = o.trigger.triggerConfig.filter.key ?? {};
    lines.push(`oss    ${o.fn.name}/${o.trigger.triggerName}: ${o.trigger.triggerConfig.events.join(', ')} on keys ${prefix}*${suffix}`);
  }
  for (const b of d.bridge) lines.push(`events ${b.fn}/${b.trigger}: bus events matching ${b.pattern}`);
  for (const n of d.notes) lines.push(`note   ${n}`);
  return lines;
}
