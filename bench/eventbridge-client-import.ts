// What the EventBridge client costs a cold start: bundles our client, our adapter over it and @alicloud/eventbridge
// alone (esbuild, minified, Node 22 target, as small entries), imports each in fresh Node processes, interleaved;
// prints sizes and median times. `npx tsx bench/eventbridge-client-import.ts [--runs N]` (default 5 runs each).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const source = (path: string) => JSON.stringify(join(root, path));

const entries = {
  // the floors: what any HTTPS client pays on Node (loading TLS), and zod, which every function bundle carries anyway
  "node's http, https and crypto alone": "import 'node:http'; import 'node:https'; import 'node:crypto'; export const loaded = true;",
  'zod alone': "export { z } from 'zod';",
  'our EventBridge client (+ zod)': `export { EventBridgeClient } from ${source('shared/adapters/eventbridge/eventbridge-client.ts')};`,
  'our adapter (EventBridgeEventBus + client + zod)': `export { EventBridgeEventBus } from ${source('shared/adapters/eventbridge/eventbridge-event-bus.ts')};`,
  '@alicloud/eventbridge': "export { default as EventBridge } from '@alicloud/eventbridge';",
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dir = mkdtempSync(join(tmpdir(), 'eventbridge-import-'));
try {
  const bundles: Array<{ name: string; out: string; samples: Array<{ importMs: number; sinceStartMs: number }> }> = [];
  for (const [name, code] of Object.entries(entries)) {
    const entry = join(dir, `${name.replace(/\W+/g, '-')}.mjs`);
    const out = entry.replace(/\.mjs$/, '.bundle.mjs');
    writeFileSync(entry, code);
    await build({
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      nodePaths: [join(root, 'node_modules')],
      logLevel: 'error',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    bundles.push({ name, out, samples: [] });
  }
  console.log(`node ${process.version}, ${runs} fresh processes per bundle, interleaved; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  // one round imports every bundle once, so a burst of load elsewhere weighs on all of them alike
  for (let i = 0; i < runs; i += 1) {
    for (const b of bundles) {
      const probe = `const t0 = performance.now(); await import(${JSON.stringify(b.out)}); const t1 = performance.now(); console.log(JSON.stringify({ importMs: t1 - t0, sinceStartMs: t1 }));`;
      b.samples.push(JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' })) as { importMs: number; sinceStartMs: number });
    }
  }
  for (const { name, out, samples } of bundles) {
    console.log(
      `${name}: ${(statSync(out).size / 1024).toFixed(0)} KiB minified; import median ${median(samples.map((s) => s.importMs)).toFixed(1)} ms ` +
        `(runs: ${samples.map((s) => s.importMs.toFixed(1)).join(', ')}); ready ${median(samples.map((s) => s.sinceStartMs)).toFixed(1)} ms after process start`,
    );
  }
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
