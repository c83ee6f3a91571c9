// What the guards add to a chat request on the local store: chat-stream with GUARDS=off and no key against chat-stream
// with a stored key, limits and budgets, interleaved in one run; then each part timed alone. Run: npx tsx bench/guard-overhead.ts [--quick]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join, relative } from 'node:path';
import { Agent } from 'undici';
import { startChild, type ChildServer } from './lib/child.ts';
import { measureGuardParts, NEVER_REFUSING, type MicroFigure } from './lib/guard-micro.ts';
import { runConcurrent, runSequential, timeOne, type Outcome, type Target } from './lib/measure.ts';
import { load1, machine, verdictLine, writeResults, type FigureTable, type Verdict } from './lib/results.ts';
import { ms, pairedMedian, percentile, summarize, table, type Summary } from './lib/stats.ts';

const QUICK = process.argv.includes('--quick');
const PLAN = QUICK
  ? { sequential: 300, concurrent: 512, concurrency: 16, perWorker: 4, warmup: 50, warmupConcurrent: 128, minBurstMs: 150, micro: 2_000, microWarmup: 200 }
  : { sequential: 3000, concurrent: 4096, concurrency: 16, perWorker: 4, warmup: 200, warmupConcurrent: 256, minBurstMs: 150, micro: 20_000, microWarmup: 2_000 };
const TARGET_MS = 0.3;
const TENANT = 'bench';
/** The emulator's reply length; max_tokens keeps the TPM estimate of each request near what it uses. */
const REPLY_TOKENS = 32;
const MAX_TOKENS = 64;
const NAMES = { off: 'A guards off', on: 'B guards on' } as const;
const ROOT = new URL('../', import.meta.url).pathname;

const body = (stream: boolean) =>
  JSON.stringify({ model: 'qwen-plus', stream, max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: 'Say hello in three words.' }] });

const dispatcher = new Agent({ connections: 256, keepAliveTimeout: 30_000, pipelining: 1 });
const children: ChildServer[] = [];
const dirs: string[] = [];

/** One of the project's npm scripts on a DATA_DIR, its stdout; throws with its stderr when it fails. */
function npmScript(script: string, args: string[], dataDir: string): string {
  const r = spawnSync('npm', ['run', '--silent', script, '--', ...args], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, RUNTIME_MODE: 'local' }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run ${script} failed (${r.status}): ${r.stderr.slice(0, 500)}`);
  return r.stdout;
}

/** The ledger of a DATA_DIR as `npm run usage -- --json` reports it for the current month: entries, CNY and tenants. */
function ledgerOf(dataDir: string): { requests: number; costCny: number; tenants: string[] } {
  if (!existsSync(join(dataDir, 'local.db'))) return { requests: 0, costCny: 0, tenants: [] };
  const report = JSON.parse(npmScript('usage', ['--json', '--group-by', 'tenant'], dataDir).trim()) as {
    data: { tenant?: string }[];
    total: { requests: number; cost_cny: number };
  };
  return { requests: report.total.requests, costCny: report.total.cost_cny, tenants: report.data.map((g) => g.tenant ?? '?') };
}

interface Scenario {
  title: string;
  concurrent: boolean;
  took: string;
  outcomes: Map<string, Outcome>;
  /** CPU time per request in each server's own process, µs. */
  cpu: Map<string, number>;
}

const stat = (o: Outcome | undefined, k: 'ttfbMs' | 'totalMs'): Summary => summarize(o?.samples.map((s) => s[k]) ?? []);
const p90 = (o: Outcome | undefined) => percentile((o?.samples.map((s) => s.totalMs) ?? []).sort((a, b) => a - b), 90);

/** How far A's p50 moves between its even and its odd rounds: a difference of p50s smaller than that says nothing. */
function noiseMs(o: Outcome | undefined): number {
  const half = (parity: number) => summarize((o?.samples ?? []).filter((x, i) => (x.round ?? i) % 2 === parity).map((x) => x.totalMs)).p50;
  return Math.abs(half(0) - half(1));
}

/** The median of B − A per round (sequential rounds send one request to each, one right after the other). */
const pairedOf = (s: Scenario) => pairedMedian(s.outcomes.get(NAMES.off)?.samples ?? [], s.outcomes.get(NAMES.on)?.samples ?? []);

function figures(s: Scenario): FigureTable {
  const a = s.outcomes.get(NAMES.off);
  const b = s.outcomes.get(NAMES.on);
  const rows = [['server', 'n', 'err', 'total p50', 'p90', 'p99', 'TTFB p50', 'CPU µs/req']];
  for (const [name, o] of s.outcomes) {
    const t = stat(o, 'totalMs');
    rows.push([name, String(t.n), String(o.errors), ms(t.p50), ms(p90(o)), ms(t.p99), ms(stat(o, 'ttfbMs').p50), (s.cpu.get(name) ?? Number.NaN).toFixed(0)]);
  }
  const ta = stat(a, 'totalMs');
  const tb = stat(b, 'totalMs');
  const added = (x: number, y: number) => `${ms(y - x)} ms (${(y / x).toFixed(3)}×)`;
  const cpuAdded = (s.cpu.get(NAMES.on) ?? Number.NaN) - (s.cpu.get(NAMES.off) ?? Number.NaN);
  rows.push(['B − A (B / A)', '', '', added(ta.p50, tb.p50), added(p90(a), p90(b)), added(ta.p99, tb.p99), ms(stat(b, 'ttfbMs').p50 - stat(a, 'ttfbMs').p50), cpuAdded.toFixed(0)]);
  const failures = [...s.outcomes].filter(([, o]) => o.errors).map(([n, o]) => `${n}: ${o.errors} failed, first: ${o.firstError}`);
  const paired = s.concurrent ? [] : [`paired: the median of B − A over the rounds (one request to each per round, side by side) is ${ms(pairedOf(s))} ms`];
  return { title: `${s.title} (${s.took})`, rows, notes: [...paired, `sampling noise: A's total p50 from its even vs odd rounds differs by ${ms(noiseMs(a))} ms`, ...failures] };
}

function verdictsOf(s: Scenario): Verdict {
  const a = stat(s.outcomes.get(NAMES.off), 'totalMs');
  const b = stat(s.outcomes.get(NAMES.on), 'totalMs');
  const errors = [...s.outcomes.values()].reduce((n, o) => n + o.errors, 0);
  if (!s.concurrent) {
    // judged on the median of the per-round differences: each round sends one request to A and one to B back to
    // back, so what slows the machine down for a while (load, CPU frequency) slows both and drops out of the pair
    const paired = pairedOf(s);
    return {
      label: `${s.title} — added latency at p50 < ${TARGET_MS} ms (median of B − A per round)`,
      pass: errors || !Number.isFinite(paired) ? false : paired < TARGET_MS,
      detail: `${paired.toFixed(3)} ms; p50s ${ms(b.p50)} − ${ms(a.p50)} = ${(b.p50 - a.p50).toFixed(3)} ms (B/A ${(b.p50 / a.p50).toFixed(3)}×)${errors ? `, ${errors} failed` : ''}`,
    };
  }
  // with N requests in flight each one waits for the others' guard work too, so the latency added there is about
  // N × the per-request cost: the target is judged on that cost, the CPU time a request adds in the server
  const cpu = ((s.cpu.get(NAMES.on) ?? Number.NaN) - (s.cpu.get(NAMES.off) ?? Number.NaN)) / 1000;
  return {
    label: `${s.title} — CPU added per request < ${TARGET_MS} ms`,
    pass: errors || !Number.isFinite(cpu) ? false : cpu < TARGET_MS,
    detail: `${cpu.toFixed(3)} ms (latency p50 ${ms(b.p50)} vs ${ms(a.p50)} ms, +${ms(b.p50 - a.p50)})${errors ? `, ${errors} failed` : ''}`,
  };
}

function microTable(parts: MicroFigure[]): FigureTable {
  return {
    title: `each part alone, in-process on a SQLite file (${PLAN.micro} operations each, ms)`,
    rows: [['part', 'p50', 'p90', 'p99', 'what one operation does'], ...parts.map((p) => [p.part, p.summary.p50.toFixed(4), p.summary.p90.toFixed(4), p.summary.p99.toFixed(4), p.what])],
    notes: ['admit and settle here run in a tight loop with warm caches; in a server they run between network reads, colder and slower'],
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = load1();
  console.log(`guard-overhead${QUICK ? ' --quick' : ''}: node ${process.version}, ${os.cpus().length} CPUs, each server in its own process on 127.0.0.1; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}`);
  console.log(`A: chat-stream, GUARDS=off, no key (local mode open). B: chat-stream, guards on, a stored key (tenant '${TENANT}') with RPM/TPM and budgets, global budgets; both on their own DATA_DIR in front of one emulator. Times in ms.`);
  const dirA = await mkdtemp(join(os.tmpdir(), 'bench-guards-off-'));
  const dirB = await mkdtemp(join(os.tmpdir(), 'bench-guards-on-'));
  dirs.push(dirA, dirB);
  // the key is made by the keys CLI before B starts, as an operator would
  const created = JSON.parse(
    npmScript('keys', ['create', '--name', TENANT, '--rpm', String(NEVER_REFUSING.limits.rpm), '--tpm', String(NEVER_REFUSING.limits.tpm), '--daily-budget', String(NEVER_REFUSING.budgets.dailyUsd), '--monthly-budget', String(NEVER_REFUSING.budgets.monthlyUsd), '--json'], dirB).trim(),
  ) as { key: string };
  const emu = await startChild({ kind: 'emulator', chunkDelayMs: 0, replyTokens: REPLY_TOKENS });
  children.push(emu);
  const global = { BUDGET_DAILY_USD: String(NEVER_REFUSING.global.dailyUsd), BUDGET_MONTHLY_USD: String(NEVER_REFUSING.global.monthlyUsd) };
  const [a, b] = await Promise.all([
    startChild({ kind: 'chat-stream', upstream: emu.url, apiKey: emu.apiKey ?? '', dataDir: dirA, env: { GUARDS: 'off' } }),
    startChild({ kind: 'chat-stream', upstream: emu.url, apiKey: emu.apiKey ?? '', dataDir: dirB, env: { GUARDS: 'on', ...global } }),
  ]);
  children.push(a, b);
  const targets: Target[] = [
    { name: NAMES.off, url: `${a.url}/v1/chat/completions`, headers: {} },
    { name: NAMES.on, url: `${b.url}/v1/chat/completions`, headers: { authorization: `Bearer ${created.key}` } },
  ];
  const servers = new Map([[NAMES.off as string, a], [NAMES.on as string, b]]);
  let sentToB = 0;
  // B must refuse a request without its key, or the key check is not on the path being measured
  const open = await timeOne(dispatcher, { ...targets[1]!, headers: {} }, body(false), false).then(() => true, () => false);
  if (open) throw new Error('B answered a request without a key: its key check is not on');
  for (const t of targets) for (const stream of [false, true]) await timeOne(dispatcher, t, body(stream), stream);
  sentToB += 2;

  const scenarios: Scenario[] = [];
  for (const concurrent of [false, true]) {
    for (const stream of [false, true]) {
      const title = `${stream ? 'streamed' : 'not streamed'}, ${concurrent ? `${PLAN.concurrency} concurrent` : 'sequential'}`;
      const base = { dispatcher, stream, body: body(stream), warmup: concurrent ? PLAN.warmupConcurrent : PLAN.warmup };
      const cpuBefore = await Promise.all(targets.map(async (t) => (await servers.get(t.name)!.usage()).cpuMicros));
      const t0 = Date.now();
      // bursts at least minBurstMs apart keep B under the account's per-second limit of qwen-plus (500/s), which
      // B's guard enforces: over it, B would wait for the next second, which is the limit working, not overhead
      const outcomes = concurrent
        ? await runConcurrent(targets, { ...base, perTarget: PLAN.concurrent, concurrency: PLAN.concurrency, perWorker: PLAN.perWorker, minBurstMs: PLAN.minBurstMs })
        : await runSequential(targets, { ...base, perTarget: PLAN.sequential });
      const cpuAfter = await Promise.all(targets.map(async (t) => (await servers.get(t.name)!.usage()).cpuMicros));
      const cpu = new Map(targets.map((t, i) => [t.name, (cpuAfter[i]! - cpuBefore[i]!) / outcomes.get(t.name)!.sent]));
      sentToB += outcomes.get(NAMES.on)!.sent;
      const s: Scenario = { title, concurrent, took: `${((Date.now() - t0) / 1000).toFixed(1)} s`, outcomes, cpu };
      scenarios.push(s);
      const f = figures(s);
      console.log(`\n${f.title}\n${table(f.rows)}\n${(f.notes ?? []).map((n) => `  ${n}`).join('\n')}`);
    }
  }
  await Promise.all(children.splice(0).map((c) => c.close()));

  // the guards really worked: every request to B is in B's ledger, once, under its tenant; A recorded nothing
  const ledgerA = ledgerOf(dirA);
  const ledgerB = ledgerOf(dirB);
  const ledgerLine = `ledger: B ${ledgerB.requests} entries (${ledgerB.costCny} CNY, tenants ${ledgerB.tenants.join(', ') || 'none'}) for ${sentToB} requests answered; A ${ledgerA.requests} entries`;
  console.log(`\n${ledgerLine}`);

  const parts = await measureGuardParts({ iterations: PLAN.micro, warmup: PLAN.microWarmup });
  const micro = microTable(parts);
  console.log(`\n${micro.title}\n${table(micro.rows)}`);

  const all: Verdict[] = [
    ...scenarios.map(verdictsOf),
    {
      label: "B's ledger holds every request it answered, once, under its key's tenant; A's ledger is empty",
      pass: ledgerB.requests === sentToB && ledgerB.tenants.length === 1 && ledgerB.tenants[0] === TENANT && ledgerA.requests === 0,
      detail: `B ${ledgerB.requests} of ${sentToB}, A ${ledgerA.requests}`,
    },
  ];
  console.log('\ntargets:');
  for (const v of all) console.log(`  ${verdictLine(v)}`);
  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s; load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}`);
  const written = await writeResults({
    bench: 'guard-overhead',
    variant: QUICK ? 'quick' : undefined,
    command: `npx tsx bench/guard-overhead.ts${QUICK ? ' --quick' : ''}`,
    startedAt: new Date(started),
    finishedAt: new Date(),
    machine: machine(),
    load: { start: loadAtStart, end: load1() },
    plan: { ...PLAN, replyTokens: REPLY_TOKENS, maxTokens: MAX_TOKENS },
    verdicts: all,
    tables: [...scenarios.map(figures), micro, { title: 'ledger check', rows: [['measured', 'result'], ['ledgers', ledgerLine.replace(/^ledger: /, '')]] }],
    notes: [
      'A and B are the same chat-stream handler with local deps and its request log on; B differs only by its guards (GUARDS=on, key check against the key store with CLIENT_KEY_CACHE_MS at its default, RPM/TPM, account limits, budgets per tenant and global).',
      `Concurrent bursts start at least ${PLAN.minBurstMs} ms apart so that B stays under qwen-plus's account limit of 500 requests/s, which its guard enforces by waiting.`,
    ],
    data: {
      scenarios: scenarios.map((s) => ({
        title: s.title,
        took: s.took,
        servers: [...s.outcomes].map(([name, o]) => ({ name, n: o.samples.length, errors: o.errors, sent: o.sent, totalMs: { ...stat(o, 'totalMs'), p90: p90(o) }, ttfbMs: stat(o, 'ttfbMs'), cpuMicrosPerRequest: s.cpu.get(name) })),
        noiseMs: noiseMs(s.outcomes.get(NAMES.off)),
        ...(s.concurrent ? {} : { pairedMedianMs: pairedOf(s) }),
      })),
      parts: parts.map((p) => ({ part: p.part, what: p.what, ms: p.summary })),
      ledger: { a: ledgerA, b: ledgerB, sentToB },
    },
  });
  console.log(`results: ${relative(process.cwd(), written.md)}, ${relative(process.cwd(), written.json)}`);
}

main()
  .catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exitCode = 1;
  })
  .finally(async () => {
    await Promise.all(children.splice(0).map((c) => c.close()));
    await dispatcher.close();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
