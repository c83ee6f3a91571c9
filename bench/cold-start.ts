// Cold start of each function as FC starts it: `node server.mjs` (the Node of s.yaml's layer) in cloud mode
// against the stand-ins and the emulator, timed from the process spawn to its first invocation answered, beside a
// bare Node server started the same way. Also each function's code size. Run: npx tsx bench/cold-start.ts [--quick]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fcHeaders } from '../dev/cloud/fc-headers.ts';
import { cloudTargets, functionEnv } from '../dev/cloud/function-env.ts';
import { REHEARSAL_CREDENTIALS, startStandins } from '../dev/cloud/standins.ts';
import { startEmulator } from '../dev/emulator/server.ts';
import { ensureNodeBinary, fcNodeVersion } from '../dev/runtime/fc-node.ts';
import { readSYaml, type FunctionSpec } from '../dev/runtime/s-yaml.ts';
import { buildFunctions } from '../scripts/build.ts';
import { load1, machine, verdictLine, writeResults, type Verdict } from './lib/results.ts';
import { ms, summarize, table } from './lib/stats.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 3 : 9;
const TARGET_MS = 150;
const BUDGET_BYTES = 1024 * 1024;
const REGION = 'cn-beijing';
const ACCOUNT_ID = '1234567890123456';

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer().once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

interface Invocation {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** The first invocation each function gets: one that goes through its deps (store, bucket, DashScope). */
function firstInvocation(spec: FunctionSpec): Invocation {
  const fc = (controlPath: '/http-invoke' | '/invoke') => fcHeaders({ spec, requestId: `cold-${Date.now()}`, controlPath, region: REGION, accountId: ACCOUNT_ID, credentials: REHEARSAL_CREDENTIALS });
  const json = { 'content-type': 'application/json' };
  switch (spec.resource) {
    case 'chat-stream':
      return { method: 'POST', path: '/v1/chat/completions', headers: { ...fc('/http-invoke'), ...json }, body: JSON.stringify({ model: 'qwen-plus', messages: [{ role: 'user', content: 'hi' }] }) };
    case 'submit-task':
      return { method: 'GET', path: '/v1/tasks?limit=5', headers: fc('/http-invoke') };
    case 'poll-task':
      // a short invocation budget: the poll ends as soon as nothing is due
      return { method: 'POST', path: '/invoke', headers: { ...fc('/invoke'), 'x-fc-function-timeout': '6', ...json }, body: JSON.stringify({ triggerTime: new Date().toISOString(), triggerName: 'every-minute', payload: 'poll' }) };
    case 'persist-to-oss': {
      const key = 'results/manifests/00000000-0000-4000-8000-000000000000.json';
      const event = { events: [{ eventName: 'ObjectCreated:PutObject', eventSource: 'acs:oss', eventTime: new Date().toISOString(), region: REGION, oss: { bucket: { name: 'dashscope-fc-media' }, object: { key, size: 2 } } }] };
      return { method: 'POST', path: '/invoke', headers: { ...fc('/invoke'), ...json }, body: JSON.stringify(event) };
    }
    default:
      throw new Error(`no first invocation for ${spec.resource}`);
  }
}

/** Sends `inv` until something listens (every millisecond), then waits for the whole answer. */
async function invokeWhenUp(port: number, inv: Invocation, child: ChildProcess): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the process exited (${child.exitCode}) before answering`);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: inv.method, path: inv.path, headers: inv.headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? resolve(undefined) : reject(e)));
      req.end(inv.body);
    });
    if (status !== undefined) return status;
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** One cold start: spawn → first answer, in ms, and the status of that answer. */
async function coldStart(nodeBinary: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, port: number, inv: Invocation): Promise<{ ms: number; status: number; stderr: string }> {
  const t0 = performance.now();
  const child = spawn(nodeBinary, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  try {
    const status = await invokeWhenUp(port, inv, child);
    return { ms: performance.now() - t0, status, stderr };
  } finally {
    await stop(child);
  }
}

const BARE_SERVER = "require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => s.end('ok')); }).listen(Number(process.env.FC_CUSTOM_LISTEN_PORT), '0.0.0.0');";

const startedAt = new Date();
const loadAtStart = load1();
const work = mkdtempSync(join(tmpdir(), 'cold-start-'));
const specs = readSYaml(join(ROOT, 's.yaml'), {});
const version = fcNodeVersion(specs);
const nodeBinary = version ? ensureNodeBinary(version) : process.execPath;
console.log(`cold start${QUICK ? ' --quick' : ''}: ${RUNS} starts per function on Node ${version ?? process.version} (s.yaml's layer), cloud mode against the stand-ins`);

const bundles = await buildFunctions({ root: ROOT, functionsDir: join(ROOT, 'functions'), outDir: join(work, 'dist') });
const standins = await startStandins({ region: REGION, bucket: 'dashscope-fc-media', bus: 'dashscope-fc', tablePrefix: '', ossDir: join(work, 'oss') });
const emulator = await startEmulator({ port: 0, chunkDelayMs: 0 });
const targets = cloudTargets({ region: REGION, accountId: ACCOUNT_ID, bucket: 'dashscope-fc-media', bus: 'dashscope-fc', tablePrefix: '' }, standins, emulator);

interface FunctionFigures {
  fn: string;
  bytes: number;
  zippedBytes: number;
  samplesMs: number[];
  statuses: number[];
}
const figures: FunctionFigures[] = [];
const bareSamples: number[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    // interleaved: a run of every function, then the bare server, so drift on the machine hits them alike
    const port = await freePort();
    const bare = await coldStart(nodeBinary, ['-e', BARE_SERVER], work, { PATH: process.env.PATH, FC_CUSTOM_LISTEN_PORT: String(port) }, port, { method: 'GET', path: '/', headers: {} });
    bareSamples.push(bare.ms);
    for (const spec of specs) {
      const bundle = bundles.find((b) => b.fn === spec.resource);
      if (!bundle) throw new Error(`no bundle for ${spec.resource}`);
      let f = figures.find((x) => x.fn === spec.resource);
      if (!f) figures.push((f = { fn: spec.resource, bytes: bundle.bytes, zippedBytes: bundle.zippedBytes, samplesMs: [], statuses: [] }));
      const p = await freePort();
      const r = await coldStart(nodeBinary, [relative(dirname(bundle.outfile), bundle.outfile)], dirname(bundle.outfile), functionEnv(spec, targets, { PATH: process.env.PATH, LOG_LEVEL: 'warn' }, p), p, firstInvocation(spec));
      if (r.status >= 500 && run === 0) console.log(`  ${spec.resource}: first invocation answered ${r.status}\n${r.stderr}`);
      f.samplesMs.push(r.ms);
      f.statuses.push(r.status);
    }
  }
} finally {
  await emulator.close();
  await standins.close();
  rmSync(work, { recursive: true, force: true });
}

const bare = summarize(bareSamples);
const rows = [
  ['function', 'code (KiB)', 'zipped (KiB)', 'first answer p50 (ms)', 'min', 'max', '× bare Node', 'statuses'],
  ...figures.map((f) => {
    const s = summarize(f.samplesMs);
    return [f.fn, (f.bytes / 1024).toFixed(0), (f.zippedBytes / 1024).toFixed(0), ms(s.p50), ms(Math.min(...f.samplesMs)), ms(s.max), (s.p50 / bare.p50).toFixed(2), [...new Set(f.statuses)].join(',')];
  }),
  ['bare Node server', '—', '—', ms(bare.p50), ms(Math.min(...bareSamples)), ms(bare.max), '1.00', '200'],
];
console.log(`\n${table(rows)}`);
const verdicts: Verdict[] = figures.flatMap((f) => {
  const p50 = summarize(f.samplesMs).p50;
  return [
    { label: `${f.fn}: first invocation answered within ${TARGET_MS} ms of process start (median)`, pass: p50 < TARGET_MS && f.statuses.every((s) => s < 500), detail: `${ms(p50)} ms (bare Node ${ms(bare.p50)} ms)` },
    { label: `${f.fn}: deployed code under 1 MB`, pass: f.zippedBytes < BUDGET_BYTES, detail: `${(f.zippedBytes / 1024).toFixed(0)} KiB zipped, ${(f.bytes / 1024).toFixed(0)} KiB unzipped` },
  ];
});
console.log('\ntargets:');
for (const v of verdicts) console.log(`  ${verdictLine(v)}`);
const written = await writeResults({
  bench: 'cold-start',
  variant: QUICK ? 'quick' : undefined,
  command: `npx tsx bench/cold-start.ts${QUICK ? ' --quick' : ''}`,
  startedAt,
  finishedAt: new Date(),
  machine: { ...machine(), node: `${process.version} (bench), ${version ?? process.version} (functions)` },
  load: { start: loadAtStart, end: load1() },
  plan: { runsPerFunction: RUNS, nodeVersion: version, targetMs: TARGET_MS, budgetBytes: BUDGET_BYTES },
  verdicts,
  tables: [{ title: 'cold start and code size', rows }],
  data: { bareMs: bareSamples, functions: figures },
});
console.log(`results: ${relative(process.cwd(), written.md)}, ${relative(process.cwd(), written.json)}`);
