// What the OSS client costs a cold start: bundles our OSS adapter alone and ali-oss alone (esbuild, minified,
// Node 22 target, as small entries) and imports each in fresh Node processes; prints sizes and median times.
// `npx tsx bench/oss-client-import.ts [--runs N]` (default 5 runs each).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;

const entries = {
  // the floor: what any HTTPS client pays on Node (loading TLS), bundled the same way
  "node's http, https and crypto alone": "import 'node:http'; import 'node:https'; import 'node:crypto'; export const loaded = true;",
  'our OSS adapter (OssObjectStore + client)': `export { OssObjectStore } from ${JSON.stringify(join(root, 'shared/adapters/oss/oss-object-store.ts'))};`,
  'ali-oss': "export { default as OSS } from 'ali-oss';",
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dir = mkdtempSync(join(tmpdir(), 'oss-import-'));
try {
  console.log(`node ${process.version}, ${runs} fresh processes per bundle; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const [name, source] of Object.entries(entries)) {
    const entry = join(dir, `${name.replace(/\W+/g, '-')}.mjs`);
    const out = entry.replace(/\.mjs$/, '.bundle.mjs');
    writeFileSync(entry, source);
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
      // urllib (under ali-oss) imports proxy-agent only when a proxy is configured; it is not installed
      external: ['proxy-agent'],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    const probe = `const t0 = performance.now(); await import(${JSON.stringify(out)}); const t1 = performance.now(); console.log(JSON.stringify({ importMs: t1 - t0, sinceStartMs: t1 }));`;
    const samples = Array.from({ length: runs }, () => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' })) as { importMs: number; sinceStartMs: number });
    const kib = statSync(out).size / 1024;
    console.log(
      `${name}: ${kib.toFixed(0)} KiB minified; import median ${median(samples.map((s) => s.importMs)).toFixed(1)} ms ` +
        `(runs: ${samples.map((s) => s.importMs.toFixed(1)).join(', ')}); ready ${median(samples.map((s) => s.sinceStartMs)).toFixed(1)} ms after process start`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
