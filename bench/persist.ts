// Copies one large result (an MP4 from the emulator, in its own process) through the persist use case and
// through a plain undici stream → file pipe: RSS growth and throughput ratio. Run: npx tsx bench/persist.ts [--quick]
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { stream } from 'undici';
import { LocalEventBus } from '../shared/adapters/local-bus/local-event-bus.ts';
import { LocalFsObjectStore } from '../shared/adapters/local-fs/local-fs-object-store.ts';
import { parseAllowlist } from '../shared/adapters/result-download/host-allowlist.ts';
import { HttpResultSource } from '../shared/adapters/result-download/http-result-source.ts';
import { openDatabase } from '../shared/adapters/sqlite/database.ts';
import { SqliteTaskStore } from '../shared/adapters/sqlite/sqlite-task-store.ts';
import { manifestKey, type Manifest } from '../shared/domain/manifest.ts';
import { silentLogger } from '../shared/log/logger.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { persistResult, type PersistDeps } from '../shared/use-cases/persist/persist-result.ts';
import { load1, machine, verdictLine, writeResults, type Verdict } from './lib/results.ts';
import { table } from './lib/stats.ts';

const GiB = 1024 ** 3;
const MB = 1e6;
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const VIDEO_BYTES = QUICK ? GiB / 4 : GiB;
const ROUNDS = QUICK ? 2 : 5;
const RSS_TARGET_MB = 64;
const RATIO_TARGET = 0.8;

/** The emulator's process: serves until the parent disconnects. */
async function runEmulatorChild(videoBytes: number): Promise<void> {
  const { startEmulator } = await import('../dev/emulator/server.ts');
  const emu = await startEmulator({ port: 0, videoBytes, logRequests: false, taskTimings: { video: { pendingMs: 0, runningMs: 0 } } });
  process.send?.({ url: emu.url, apiKey: emu.apiKey });
  process.on('disconnect', () => void emu.close().then(() => process.exit(0)));
}

interface EmulatorHandle {
  url: string;
  apiKey: string;
  child: ChildProcess;
}

async function startEmulatorChild(): Promise<EmulatorHandle> {
  const child = fork(fileURLToPath(import.meta.url), ['--emulator-child', String(VIDEO_BYTES)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const info = await new Promise<{ url: string; apiKey: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string; apiKey: string }));
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return { ...info, child };
}

/** Creates a text-to-video task on the emulator and returns its result URL once it SUCCEEDED. */
async function videoUrl(emu: EmulatorHandle): Promise<string> {
  const headers = { authorization: `Bearer ${emu.apiKey}`, 'content-type': 'application/json', 'x-dashscope-async': 'enable' };
  const body = { model: 'wan2.5-t2v-preview', input: { prompt: 'a red fox running' }, parameters: { size: '832*480', duration: 5 } };
  const created = (await (await fetch(`${emu.url}/api/v1/services/aigc/video-generation/video-synthesis`, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as {
    output: { task_id: string };
  };
  for (let i = 0; i < 200; i++) {
    const q = (await (await fetch(`${emu.url}/api/v1/tasks/${created.output.task_id}`, { headers })).json()) as { output: { task_status: string; video_url?: string } };
    if (q.output.task_status === 'SUCCEEDED' && q.output.video_url) return q.output.video_url;
    await sleep(20);
  }
  throw new Error('the emulator task did not succeed');
}

interface Run {
  target: 'persist' | 'plain';
  seconds: number;
  /** CPU time of this process (user + system) during the copy; the emulator's own process is not counted. */
  cpuSeconds: number;
  bytes: number;
  /** Sampled peak RSS minus the RSS just before the copy (persist only). */
  rssGrowthMb?: number;
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** Runs `work` timed (wall and CPU), sampling RSS every few ms; growth = sampled peak minus the RSS just before. */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number; cpuSeconds: number; growthMb: number }> {
  gc();
  await sleep(50);
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  try {
    const value = await work();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, seconds, cpuSeconds: (used.user + used.system) / 1e6, growthMb: (peak - baseline) / MB };
  } finally {
    clearInterval(timer);
  }
}

let seq = 0;
async function persistOnce(deps: PersistDeps, tasks: SqliteTaskStore, objects: LocalFsObjectStore, dataDir: string, url: string): Promise<Run> {
  seq += 1;
  const taskId = `task_bench_${seq}`;
  const now = new Date().toISOString();
  const expiresAt = new Date(Number(new URL(url).searchParams.get('Expires')) * 1000).toISOString();
  await tasks.create({
    id: taskId, type: 'text-to-video', model: 'wan2.5-t2v-preview', status: 'SUCCEEDED', input: {}, parameters: {},
    outputs: [{ index: 0, sourceUrl: url, sourceExpiresAt: expiresAt }], pollCount: 1, version: 1, createdAt: now, updatedAt: now,
  });
  const manifest: Manifest = { version: 1, taskId, type: 'text-to-video', model: 'wan2.5-t2v-preview', succeededAt: now, outputs: [{ index: 0, url, expiresAt, kind: 'video' }] };
  await objects.put(manifestKey(taskId), Buffer.from(JSON.stringify(manifest)), { contentType: 'application/json' });
  const { value, seconds, cpuSeconds, growthMb } = await measured(() => persistResult(deps, manifestKey(taskId)));
  const output = value.task.outputs[0];
  if (value.outcome !== 'persisted' || output?.bytes !== VIDEO_BYTES) throw new Error(`persist did not copy the video: ${value.outcome} ${JSON.stringify(output)}`);
  rmSync(join(dataDir, 'oss', 'media'), { recursive: true, force: true });
  return { target: 'persist', seconds, cpuSeconds, bytes: output.bytes, rssGrowthMb: growthMb };
}

async function plainOnce(dir: string, url: string): Promise<Run> {
  const file = join(dir, 'plain.mp4');
  const { seconds, cpuSeconds } = await measured(() =>
    stream(url, { method: 'GET' }, ({ statusCode }) => {
      if (statusCode !== 200) throw new Error(`plain pipe got ${statusCode}`);
      return createWriteStream(file);
    }),
  );
  const bytes = statSync(file).size;
  rmSync(file, { force: true });
  return { target: 'plain', seconds, cpuSeconds, bytes };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const rateOf = (r: Run) => r.bytes / MB / r.seconds;
const cpuPerGiB = (r: Run) => (r.cpuSeconds / r.bytes) * GiB;

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAtStart = load1();
  console.log(`persist${QUICK ? ' --quick' : ''}: node ${process.version}, ${cpus().length} CPUs; one ${(VIDEO_BYTES / GiB).toFixed(2)} GiB MP4 from the emulator (own process), ${ROUNDS} rounds, order alternating`);
  if (!(globalThis as { gc?: unknown }).gc) console.log('note: run with --expose-gc (npm run bench does) for steadier RSS baselines');
  const emu = await startEmulatorChild();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-persist-'));
  const db = openDatabase(':memory:');
  try {
    const tasks = new SqliteTaskStore(db);
    const objects = new LocalFsObjectStore({ dataDir, publicBaseUrl: () => 'http://127.0.0.1:1' });
    const deps: PersistDeps = {
      tasks, objects, events: new LocalEventBus(), clock: systemClock, logger: silentLogger,
      results: new HttpResultSource({ allowlist: parseAllowlist([new URL(emu.url).origin]), maxBytes: 4 * GiB, timeoutMs: 30 * 60_000 }),
    };
    const url = await videoUrl(emu);
    // One unmeasured copy each first: JIT, first socket, first files; then the measured rounds.
    await persistOnce(deps, tasks, objects, dataDir, url);
    await plainOnce(dataDir, url);
    const runs: Run[] = [];
    const roundRows: string[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (['persist', 'plain'] as const) : (['plain', 'persist'] as const);
      for (const target of order) {
        const run = target === 'persist' ? await persistOnce(deps, tasks, objects, dataDir, url) : await plainOnce(dataDir, url);
        runs.push(run);
        roundRows.push([String(round + 1), target, rateOf(run).toFixed(0), run.seconds.toFixed(2), cpuPerGiB(run).toFixed(2), run.rssGrowthMb?.toFixed(1) ?? '']);
        console.log(
          `  round ${round + 1} ${target.padEnd(8)} ${rateOf(run).toFixed(0).padStart(5)} MB/s  ${run.seconds.toFixed(2).padStart(6)} s  ` +
            `CPU ${cpuPerGiB(run).toFixed(2)} s/GiB${run.rssGrowthMb !== undefined ? `  RSS +${run.rssGrowthMb.toFixed(1)} MB` : ''}`,
        );
      }
    }
    const of = (t: Run['target']) => runs.filter((r) => r.target === t);
    const best = (t: Run['target']) => Math.max(...of(t).map(rateOf));
    const med = (t: Run['target']) => median(of(t).map(rateOf));
    const cpu = (t: Run['target']) => median(of(t).map(cpuPerGiB));
    const rss = Math.max(...runs.flatMap((r) => (r.rssGrowthMb === undefined ? [] : [r.rssGrowthMb])));
    const ratioBest = best('persist') / best('plain');
    const ratioMedian = med('persist') / med('plain');
    const summary: string[][] = [
      ['target', 'best MB/s', 'median MB/s', 'CPU s/GiB (median, this process)'],
      ['persist (download → sha256 → local store)', best('persist').toFixed(0), med('persist').toFixed(0), cpu('persist').toFixed(2)],
      ['plain pipe (undici stream → file)', best('plain').toFixed(0), med('plain').toFixed(0), cpu('plain').toFixed(2)],
    ];
    console.log('');
    console.log(table(summary));
    console.log(`load average over the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine slows runs unevenly; best-of is the least disturbed)`);
    const verdicts: Verdict[] = [
      {
        label: `RSS growth during the persist copy < ${RSS_TARGET_MB} MB (sampled peak − baseline, max over runs)`,
        pass: rss < RSS_TARGET_MB,
        detail: `${rss.toFixed(1)} MB`,
      },
      {
        label: `throughput persist / plain pipe ≥ ${RATIO_TARGET} (judged on best-of)`,
        pass: ratioBest >= RATIO_TARGET,
        detail: `${ratioBest.toFixed(2)} best-of, ${ratioMedian.toFixed(2)} median`,
      },
    ];
    console.log('\ntargets:');
    for (const v of verdicts) console.log(`  ${verdictLine(v)}`);
    const written = await writeResults({
      bench: 'persist',
      variant: QUICK ? 'quick' : undefined,
      command: `npx tsx bench/persist.ts${QUICK ? ' --quick' : ''}`,
      startedAt,
      finishedAt: new Date(),
      machine: machine(),
      load: { start: loadAtStart, end: load1() },
      plan: { videoMiB: VIDEO_BYTES / 1024 ** 2, rounds: ROUNDS, gcExposed: Boolean((globalThis as { gc?: unknown }).gc) },
      verdicts,
      tables: [
        { title: 'throughput', rows: summary },
        { title: 'rounds', rows: [['round', 'target', 'MB/s', 's', 'CPU s/GiB', 'RSS growth MB'], ...roundRows] },
      ],
      data: { runs, rssGrowthMaxMb: rss, ratioBest, ratioMedian, bestMBps: { persist: best('persist'), plain: best('plain') }, medianMBps: { persist: med('persist'), plain: med('plain') } },
    });
    console.log(`results: ${relative(process.cwd(), written.md)}, ${relative(process.cwd(), written.json)}`);
  } finally {
    db.close();
    rmSync(dataDir, { recursive: true, force: true });
    emu.child.disconnect();
  }
}

if (args[0] === '--emulator-child') await runEmulatorChild(Number(args[1]));
else await main();
