// What the Table Store client costs a cold start: its minified bundle (esbuild, node22, ESM) and the time a fresh
// Node takes to import it, next to the `tablestore` SDK it replaced. Run: npx tsx bench/tablestore-import.ts [--quick]
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
/** Import budget of the client alone: a function answers its first invocation within 150 ms of process start. */
const IMPORT_BUDGET_MS = 25;
const SIZE_BUDGET_BYTES = 50 * 1024;

const ENTRIES = {
  'our client (tablestore-client.ts)': `export { TablestoreClient } from '${ROOT}/shared/adapters/tablestore/tablestore-client.ts';`,
  'tablestore SDK 5.6 (before)': `import TS from 'tablestore'; export const client = TS.Client;`,
};

const dir = mkdtempSync(join(tmpdir(), 'ots-import-'));
const startedAt = new Date();
const loadAtStart = load1();
const figures: { label: string; bytes: number; importMs: number[] }[] = [];
try {
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
    const probe = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(outfile).href)}); process.stdout.write(String(performance.now() - t));`;
    const importMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`importing ${label} failed: ${r.stderr.slice(0, 500)}`);
      importMs.push(Number(r.stdout));
    }
    figures.push({ label, bytes: statSync(outfile).size, importMs });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`tablestore-import${QUICK ? ' --quick' : ''}: minified node22 bundle of each, imported by ${RUNS} fresh Node processes`);
const rows = [
  ['bundle', 'KiB', 'import p50 ms', 'p95 ms', 'max ms'],
  ...figures.map((f) => {
    const s = summarize(f.importMs);
    return [f.label, (f.bytes / 1024).toFixed(1), ms(s.p50), ms(s.p95), ms(s.max)];
  }),
];
console.log(`\n${table(rows)}`);
const ours = figures[0]!;
const verdicts: Verdict[] = [
  { label: `client bundle ≤ ${SIZE_BUDGET_BYTES / 1024} KiB`, pass: ours.bytes <= SIZE_BUDGET_BYTES, detail: `${(ours.bytes / 1024).toFixed(1)} KiB` },
  { label: `client import p50 ≤ ${IMPORT_BUDGET_MS} ms`, pass: summarize(ours.importMs).p50 <= IMPORT_BUDGET_MS, detail: `${ms(summarize(ours.importMs).p50)} ms` },
];
console.log('\ntargets:');
for (const v of verdicts) console.log(`  ${verdictLine(v)}`);

const written = await writeResults({
  bench: 'tablestore-import',
  variant: QUICK ? 'quick' : undefined,
  command: `npx tsx bench/tablestore-import.ts${QUICK ? ' --quick' : ''}`,
  startedAt,
  finishedAt: new Date(),
  machine: machine(),
  load: { start: loadAtStart, end: load1() },
  plan: { runs: RUNS, target: 'node22', minify: true },
  verdicts,
  tables: [{ title: 'bundle size and import time', rows }],
  data: { figures },
});
console.log(`\nresults: ${written.md}`);
