// What the EventBridge client costs a cold start: its minified bundle (esbuild, node22, ESM) and the time a fresh
// Node takes to import it, next to @alicloud/eventbridge it replaced. Run: npx tsx bench/eventbridge-client-import.ts [--quick]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { load1, machine, verdictLine, writeResults, type Verdict } from './lib/results.ts';
import { ms, summarize, table } from './lib/stats.ts';

const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 5 : 21;
const ROOT = resolve(import.meta.dirname, '..');
/** The client checks answers with zod, which every function bundle carries anyway: its own cost is what it adds. */
const OWN_SIZE_BUDGET_BYTES = 20 * 1024;
const OWN_IMPORT_BUDGET_MS = 25;

const ENTRIES = {
  zod: "export { z } from 'zod';",
  'our client (eventbridge-client.ts, with zod)': `export { EventBridgeClient } from '${ROOT}/shared/adapters/eventbridge/eventbridge-client.ts';`,
  'our adapter (EventBridgeEventBus, client, zod)': `export { EventBridgeEventBus } from '${ROOT}/shared/adapters/eventbridge/eventbridge-event-bus.ts';`,
  '@alicloud/eventbridge 1.3 (before)': "import EB from '@alicloud/eventbridge'; export const client = EB;",
};

const dir = mkdtempSync(join(tmpdir(), 'eventbridge-import-'));
const startedAt = new Date();
const loadAtStart = load1();
const figures: { label: string; bytes: number; importMs: number[] }[] = [];
try {
  const probes: string[] = [];
  for (const [label, source] of Object.entries(ENTRIES)) {
    const name = figures.length;
    writeFileSync(join(dir, `entry${name}.mjs`), source);
    const outfile = join(dir, `out${name}.mjs`);
    await build({
      entryPoints: [join(dir, `entry${name}.mjs`)],
      outfile,
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      absWorkingDir: ROOT,
      nodePaths: [join(ROOT, 'node_modules')],
      logLevel: 'silent',
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    });
    probes.push(`const t = performance.now(); await import(${JSON.stringify(pathToFileURL(outfile).href)}); process.stdout.write(String(performance.now() - t));`);
    figures.push({ label, bytes: statSync(outfile).size, importMs: [] });
  }
  // round by round, each bundle once per round: a burst of load elsewhere weighs on all of them alike
  for (let i = 0; i < RUNS; i++) {
    figures.forEach((f, n) => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', probes[n]!], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`importing ${f.label} failed: ${r.stderr.slice(0, 500)}`);
      f.importMs.push(Number(r.stdout));
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`eventbridge-client-import${QUICK ? ' --quick' : ''}: minified node22 bundle of each, imported by ${RUNS} fresh Node processes, interleaved`);
const rows = [
  ['bundle', 'KiB', 'import p50 ms', 'p95 ms', 'max ms'],
  ...figures.map((f) => {
    const s = summarize(f.importMs);
    return [f.label, (f.bytes / 1024).toFixed(1), ms(s.p50), ms(s.p95), ms(s.max)];
  }),
];
console.log(`\n${table(rows)}`);
const [zod, ours, , sdk] = figures as [typeof figures[0], typeof figures[0], typeof figures[0], typeof figures[0]];
const ownBytes = ours.bytes - zod.bytes;
const ownMs = summarize(ours.importMs).p50 - summarize(zod.importMs).p50;
const verdicts: Verdict[] = [
  { label: `client's own code (bundle minus zod's) ≤ ${OWN_SIZE_BUDGET_BYTES / 1024} KiB`, pass: ownBytes <= OWN_SIZE_BUDGET_BYTES, detail: `${(ownBytes / 1024).toFixed(1)} KiB` },
  { label: `client import p50 over zod's ≤ ${OWN_IMPORT_BUDGET_MS} ms`, pass: ownMs <= OWN_IMPORT_BUDGET_MS, detail: `${ms(ownMs)} ms` },
  {
    label: 'client import p50 (zod included) below the SDK\'s',
    pass: summarize(ours.importMs).p50 < summarize(sdk.importMs).p50,
    detail: `${ms(summarize(ours.importMs).p50)} ms against ${ms(summarize(sdk.importMs).p50)} ms`,
  },
];
console.log('\ntargets:');
for (const v of verdicts) console.log(`  ${verdictLine(v)}`);

const written = await writeResults({
  bench: 'eventbridge-client-import',
  variant: QUICK ? 'quick' : undefined,
  command: `npx tsx bench/eventbridge-client-import.ts${QUICK ? ' --quick' : ''}`,
  startedAt,
  finishedAt: new Date(),
  machine: machine(),
  load: { start: loadAtStart, end: load1() },
  plan: { runs: RUNS, target: 'node22', minify: true, interleaved: true },
  verdicts,
  tables: [{ title: 'bundle size and import time', rows }],
  data: { figures },
});
console.log(`\nresults: ${written.md}`);
