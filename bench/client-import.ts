// What each cloud client costs a cold start, next to the vendor SDK it replaced: each bundled alone (esbuild,
// minified, ESM) and imported by fresh processes of the Node FC runs (s.yaml's layer), round by round, with the
// floors every bundle pays anyway (Node's http/https/crypto, zod). Run: npx tsx bench/client-import.ts [--quick]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bundleOptions } from '../scripts/build.ts';
import { ensureNodeBinary, fcNodeVersion } from '../dev/runtime/fc-node.ts';
import { readSYaml } from '../dev/runtime/s-yaml.ts';
import { load1, machine, verdictLine, writeResults, type Verdict } from './lib/results.ts';
import { ms, summarize, table } from './lib/stats.ts';

const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 5 : 21;
const ROOT = resolve(import.meta.dirname, '..');
/** What a client may add to a cold start over the floors it shares: a function has 150 ms to answer its first invocation. */
const OWN_IMPORT_BUDGET_MS = 25;
const OWN_SIZE_BUDGET_BYTES = 50 * 1024;

interface Entry {
  label: string;
  source: string;
  /** For our clients: the SDK it replaced, and the floor it is measured over. */
  vs?: { sdk: string; floor: string };
}
const shared = (file: string, name: string) => `export { ${name} } from '${ROOT}/shared/${file}';`;
const ENTRIES: Entry[] = [
  // used, not just imported: esbuild drops a bare `import 'node:http'` of a built-in as free of side effects
  { label: 'floor: node:http, https, crypto', source: "import * as h from 'node:http'; import * as s from 'node:https'; import * as c from 'node:crypto'; export const loaded = [h.Agent, s.Agent, c.createHash];" },
  { label: 'floor: zod', source: "export { z } from 'zod';" },
  { label: 'floor: zod and node:http, https, crypto', source: "import * as h from 'node:http'; import * as s from 'node:https'; import * as c from 'node:crypto'; export { z } from 'zod'; export const loaded = [h.Agent, s.Agent, c.createHash];" },
  { label: 'Table Store: our client', source: shared('adapters/tablestore/tablestore-client.ts', 'TablestoreClient'), vs: { sdk: 'Table Store: tablestore SDK', floor: 'floor: node:http, https, crypto' } },
  { label: 'Table Store: tablestore SDK', source: "import TS from 'tablestore'; export const client = TS.Client;" },
  { label: 'OSS: our adapter and client', source: shared('adapters/oss/oss-object-store.ts', 'OssObjectStore'), vs: { sdk: 'OSS: ali-oss', floor: 'floor: node:http, https, crypto' } },
  { label: 'OSS: ali-oss', source: "export { default as OSS } from 'ali-oss';" },
  // the EventBridge client checks answers with zod, which every function carries anyway
  { label: 'EventBridge: our client (with zod)', source: shared('adapters/eventbridge/eventbridge-client.ts', 'EventBridgeClient'), vs: { sdk: 'EventBridge: @alicloud/eventbridge', floor: 'floor: zod and node:http, https, crypto' } },
  { label: 'EventBridge: @alicloud/eventbridge', source: "import EB from '@alicloud/eventbridge'; export const client = EB;" },
];

const version = fcNodeVersion(readSYaml(join(ROOT, 's.yaml'), {}));
const node = version ? ensureNodeBinary(version) : process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'client-import-'));
const startedAt = new Date();
const loadAtStart = load1();
const figures: { label: string; bytes: number; importMs: number[] }[] = [];
try {
  const probes: string[] = [];
  for (const [n, e] of ENTRIES.entries()) {
    writeFileSync(join(dir, `entry${n}.mjs`), e.source);
    const outfile = join(dir, `out${n}.mjs`);
    await build({
      ...bundleOptions(ROOT),
      entryPoints: [join(dir, `entry${n}.mjs`)],
      outfile,
      nodePaths: [join(ROOT, 'node_modules')],
      logLevel: 'silent',
      // urllib (under ali-oss) imports proxy-agent only when a proxy is configured; it is not installed
      external: ['proxy-agent'],
    });
    probes.push(`const t = performance.now(); await import(${JSON.stringify(pathToFileURL(outfile).href)}); process.stdout.write(String(performance.now() - t));`);
    figures.push({ label: e.label, bytes: statSync(outfile).size, importMs: [] });
  }
  // round by round, each bundle once per round: a burst of load elsewhere weighs on all of them alike
  for (let i = 0; i < RUNS; i++) {
    figures.forEach((f, n) => {
      const r = spawnSync(node, ['--input-type=module', '-e', probes[n]!], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`importing ${f.label} failed: ${r.stderr.slice(0, 500)}`);
      f.importMs.push(Number(r.stdout));
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const p50 = (label: string) => summarize(figures.find((f) => f.label === label)!.importMs).p50;
const size = (label: string) => figures.find((f) => f.label === label)!.bytes;
console.log(`client-import${QUICK ? ' --quick' : ''}: each bundle imported by ${RUNS} fresh processes of Node ${version ?? process.version}`);
const rows = [
  ['bundle', 'KiB', 'import p50 ms', 'p95 ms', 'max ms'],
  ...figures.map((f) => {
    const s = summarize(f.importMs);
    return [f.label, (f.bytes / 1024).toFixed(1), ms(s.p50), ms(s.p95), ms(s.max)];
  }),
];
console.log(`\n${table(rows)}`);
const verdicts: Verdict[] = ENTRIES.filter((e) => e.vs).flatMap((e) => {
  const { sdk, floor } = e.vs!;
  const own = p50(e.label) - p50(floor);
  const ownBytes = size(e.label) - size(floor);
  return [
    { label: `${e.label}: adds ≤ ${OWN_IMPORT_BUDGET_MS} ms over ${floor.slice(7)}`, pass: own <= OWN_IMPORT_BUDGET_MS, detail: `${ms(own)} ms (${ms(p50(e.label))} − ${ms(p50(floor))})` },
    { label: `${e.label}: adds ≤ ${OWN_SIZE_BUDGET_BYTES / 1024} KiB`, pass: ownBytes <= OWN_SIZE_BUDGET_BYTES, detail: `${(ownBytes / 1024).toFixed(1)} KiB` },
    { label: `${e.label}: imports faster than ${sdk.split(': ')[1]}`, pass: p50(e.label) < p50(sdk), detail: `${ms(p50(e.label))} vs ${ms(p50(sdk))} ms` },
  ];
});
console.log('\ntargets:');
for (const v of verdicts) console.log(`  ${verdictLine(v)}`);
const written = await writeResults({
  bench: 'client-import',
  variant: QUICK ? 'quick' : undefined,
  command: `npx tsx bench/client-import.ts${QUICK ? ' --quick' : ''}`,
  startedAt,
  finishedAt: new Date(),
  machine: { ...machine(), node: `${process.version} (bench), ${version ?? process.version} (imports)` },
  load: { start: loadAtStart, end: load1() },
  plan: { importsPerBundle: RUNS, node: version, ownImportBudgetMs: OWN_IMPORT_BUDGET_MS, ownSizeBudgetBytes: OWN_SIZE_BUDGET_BYTES },
  verdicts,
  tables: [{ title: 'bundle size and import time', rows }],
  data: { figures },
});
console.log(`results: ${written.md}, ${written.json}`);
