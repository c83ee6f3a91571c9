// What chat-stream adds to a chat request, against a bare Node proxy and Portkey, interleaved; then its RSS with
// 1,000 open streams and how fast a client abort reaches upstream. Run: npx tsx bench/chat-overhead.ts [--quick] [--profile DIR]
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Agent } from 'undici';
import { startChild, type ChildServer, type ChildSpec } from './lib/child.ts';
import { chatBody, firstByteMs, runConcurrent, runSequential, timeOne, type Outcome, type Target } from './lib/measure.ts';
import { measureAborts } from './lib/abort-probe.ts';
import { holdStreams } from './lib/hold-streams.ts';
import { mb, scenarioData, scenarioFigures, scenarioTable, verdicts, type ScenarioResult } from './lib/report.ts';
import { load1, machine, verdictLine, writeResults, type FigureTable, type Verdict } from './lib/results.ts';
import { ms, summarize } from './lib/stats.ts';

const QUICK = process.argv.includes('--quick');
/** `--profile DIR`: a V8 CPU profile of the bare proxy and chat-stream per latency scenario, written to DIR. */
const PROFILE_DIR = process.argv.includes('--profile') ? resolve(process.argv[process.argv.indexOf('--profile') + 1] ?? '.data/bench-profiles') : undefined;
const PLAN = QUICK
  ? { sequential: 100, concurrent: 200, concurrency: 50, perWorker: 2, warmup: 20, warmupConcurrent: 100, aborts: 10, streams: 1000, holdMs: 1_500 }
  : { sequential: 5000, concurrent: 10_000, concurrency: 50, perWorker: 2, warmup: 50, warmupConcurrent: 400, aborts: 20, streams: 1000, holdMs: 3_000 };
/** Reply length of the emulator, so every target streams the same number of chunks. */
const REPLY_TOKENS = 32;
/** Inter-chunk delay of the slow emulator that keeps streams open (RSS) and lets aborts land mid-stream. */
const SLOW_CHUNK_DELAY_MS = 1_000;
const RSS_TARGET_BYTES = 300e6;
const ABORT_TARGET_MS = 100;
const NAMES = { direct: 'direct', bare: 'bare proxy', chat: 'chat-stream', portkey: 'portkey' } as const;
type Role = keyof typeof NAMES;

const dispatcher = new Agent({ connections: PLAN.streams + 100, keepAliveTimeout: 30_000, pipelining: 1 });
const children: ChildServer[] = [];

async function child(spec: ChildSpec): Promise<ChildServer> {
  const c = await startChild(spec);
  children.push(c);
  return c;
}

async function close(...some: ChildServer[]): Promise<void> {
  for (const c of some) if (children.includes(c)) children.splice(children.indexOf(c), 1);
  await Promise.all(some.map((c) => c.close()));
}

/** The emulator plus chat-stream and the bare proxy in front of it; Portkey is shared (it takes its upstream per request). */
async function startStack(chunkDelayMs: number, portkey: ChildServer) {
  const emu = await child({ kind: 'emulator', chunkDelayMs, replyTokens: chunkDelayMs ? 10_000 : REPLY_TOKENS });
  const [chat, bare] = await Promise.all([
    child({ kind: 'chat-stream', upstream: emu.url, apiKey: emu.apiKey ?? '' }),
    child({ kind: 'bare-proxy', upstream: emu.url }),
  ]);
  const auth = { authorization: `Bearer ${emu.apiKey}` };
  const compat = '/compatible-mode/v1';
  const targets: Record<Role, Target> = {
    direct: { name: NAMES.direct, url: `${emu.url}${compat}/chat/completions`, headers: auth },
    bare: { name: NAMES.bare, url: `${bare.url}${compat}/chat/completions`, headers: auth },
    chat: { name: NAMES.chat, url: `${chat.url}/v1/chat/completions`, headers: {} },
    portkey: {
      name: NAMES.portkey,
      url: `${portkey.url}/v1/chat/completions`,
      headers: { ...auth, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${emu.url}${compat}` },
    },
  };
  /** The process doing each target's work (direct: the emulator itself). */
  const servers: Record<Role, ChildServer> = { direct: emu, bare, chat, portkey };
  return { emu, chat, bare, targets, servers, close: () => close(emu, chat, bare) };
}

async function probe(t: Target, stream: boolean): Promise<string | undefined> {
  try {
    await timeOne(dispatcher, t, chatBody(stream), stream);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Checks every target answers; Portkey may fail to stream, and is then retried with its fetch shim or left out. */
async function checkTargets(t: Record<Role, Target>, portkey: ChildServer, notes: string[]) {
  for (const target of [t.direct, t.bare, t.chat]) {
    for (const stream of [false, true]) {
      const problem = await probe(target, stream);
      if (problem) throw new Error(`${target.name} (${stream ? 'streamed' : 'not streamed'}) does not work: ${problem}`);
    }
  }
  const skipStreamed = new Map<string, string>();
  const skipPlain = new Map<string, string>();
  const plain = await probe(t.portkey, false);
  if (plain) skipPlain.set(NAMES.portkey, `fails: ${plain.slice(0, 100)}`);
  const shipped = await probe(t.portkey, true);
  if (shipped) {
    notes.push(`Portkey streaming fails on Node as shipped: ${shipped.slice(0, 100)} (TypeError: immutable in its updateHeaders; Portkey-AI/gateway#1389).`);
    portkey.enableFetchShim();
    const shimmed = await probe(t.portkey, true);
    if (shimmed) skipStreamed.set(NAMES.portkey, `streaming fails on Node: ${shimmed.slice(0, 100)}`);
    else notes.push('Streamed Portkey figures run with a shim that re-wraps its upstream SSE response so Portkey can add its headers (bench/lib/child-main.ts).');
  }
  return { skipStreamed, skipPlain };
}

async function latencyPhase(portkey: ChildServer, notes: string[]): Promise<ScenarioResult[]> {
  const stack = await startStack(0, portkey);
  const t = stack.targets;
  const { skipStreamed, skipPlain } = await checkTargets(t, portkey, notes);
  const all = [t.direct, t.bare, t.chat, t.portkey];
  const results: ScenarioResult[] = [];
  for (const concurrent of [false, true]) {
    for (const stream of [false, true]) {
      const skipped = stream ? skipStreamed : skipPlain;
      const targets = all.filter((x) => !skipped.has(x.name));
      const base = { dispatcher, stream, warmup: concurrent ? PLAN.warmupConcurrent : PLAN.warmup };
      const title = `${stream ? 'streamed' : 'not streamed'}, ${concurrent ? `${PLAN.concurrency} concurrent` : 'sequential'}`;
      const profiled = PROFILE_DIR ? [stack.bare, stack.chat] : [];
      for (const c of profiled) c.startProfile();
      const cpuBefore = await cpuTimes(stack.servers);
      const t0 = Date.now();
      const outcomes = concurrent
        ? await runConcurrent(targets, { ...base, perTarget: PLAN.concurrent, concurrency: PLAN.concurrency, perWorker: PLAN.perWorker })
        : await runSequential(targets, { ...base, perTarget: PLAN.sequential });
      const took = ((Date.now() - t0) / 1000).toFixed(1);
      const cpu = cpuPerRequest(cpuBefore, await cpuTimes(stack.servers), outcomes);
      if (PROFILE_DIR) {
        const slug = title.replace(/[^a-z0-9]+/g, '-');
        await Promise.all(profiled.map((c, i) => c.stopProfile(join(PROFILE_DIR, `${slug}.${i === 0 ? 'bare-proxy' : 'chat-stream'}.cpuprofile`))));
      }
      results.push({ title, took: `${took} s`, outcomes, skipped, cpu });
    }
  }
  await stack.close();
  return results;
}

async function cpuTimes(servers: Record<Role, ChildServer>): Promise<Record<Role, number>> {
  const roles = Object.keys(servers) as Role[];
  const times = await Promise.all(roles.map(async (r) => (await servers[r].usage()).cpuMicros));
  return Object.fromEntries(roles.map((r, i) => [r, times[i]!])) as Record<Role, number>;
}

/**
 * CPU time each server spent per request it handled during a scenario, warm-up included. A proxy is idle
 * while the other targets run, so its whole CPU time is its own requests'; the emulator serves every
 * target's requests, so its time is divided by all of them. Targets left out of the scenario are not listed.
 */
function cpuPerRequest(before: Record<Role, number>, after: Record<Role, number>, outcomes: Map<string, Outcome>): Map<string, number> {
  const out = new Map<string, number>();
  const all = [...outcomes.values()].reduce((n, o) => n + o.sent, 0);
  for (const role of Object.keys(NAMES) as Role[]) {
    const sent = role === 'direct' ? all : outcomes.get(NAMES[role])?.sent;
    if (sent) out.set(NAMES[role], (after[role] - before[role]) / sent);
  }
  return out;
}

async function slowUpstreamPhase(portkey: ChildServer): Promise<{ lines: string[]; verdicts: Verdict[]; figures: FigureTable; data: unknown }> {
  const stack = await startStack(SLOW_CHUNK_DELAY_MS, portkey);
  const t = stack.targets;
  const lines: string[] = [];
  // With chunks 1 s apart, a first byte well under 1 s means the target passes chunks on as they come.
  const firstBytes: string[] = [];
  const firstByte: Record<string, number | null> = {};
  for (const target of [t.direct, t.bare, t.chat, t.portkey]) {
    const ttfb = await firstByteMs(dispatcher, target, 3 * SLOW_CHUNK_DELAY_MS);
    firstByte[target.name] = ttfb ?? null;
    const buffered = ttfb === undefined || ttfb > SLOW_CHUNK_DELAY_MS / 2 ? ' (buffers the stream)' : '';
    firstBytes.push(`${target.name} ${ttfb === undefined ? `none within ${3 * SLOW_CHUNK_DELAY_MS} ms` : `${ms(ttfb)} ms`}${buffered}`);
  }
  lines.push(`first byte with ${SLOW_CHUNK_DELAY_MS} ms between upstream chunks: ${firstBytes.join(', ')}`);
  const aborts = await measureAborts({ dispatcher, target: t.chat, emulatorUrl: stack.emu.url, count: PLAN.aborts });
  const a = summarize(aborts.latencies);
  lines.push(`client abort → emulator abortedAt through chat-stream, ${a.n} aborts${aborts.missed ? ` (${aborts.missed} never seen upstream)` : ''}: p50 ${ms(a.p50)} ms, max ${ms(a.max)} ms`);
  await close(stack.bare);
  const hold = await holdStreams({ dispatcher, target: t.chat, count: PLAN.streams, rss: () => stack.chat.rss(), holdMs: PLAN.holdMs });
  lines.push(
    `chat-stream RSS: ${mb(hold.baselineRss)} idle → ${mb(hold.peakRss)} with ${hold.openAtPeak} of ${PLAN.streams} streams open ` +
      `(all had their first byte after ${hold.openMs} ms${hold.failed ? `; ${hold.failed} failed, first: ${hold.firstError}` : ''})`,
  );
  await close(stack.emu, stack.chat);
  return {
    lines,
    figures: { title: `slow upstream (${SLOW_CHUNK_DELAY_MS} ms between chunks)`, rows: [['measured', 'result'], ...lines.map((l) => l.split(/: (.*)/s).slice(0, 2))] },
    data: { firstByteMs: firstByte, aborts: { latenciesMs: aborts.latencies, missed: aborts.missed, summary: a }, streams: { count: PLAN.streams, ...hold } },
    verdicts: [
      {
        label: `client abort reaches upstream in ≤ ${ABORT_TARGET_MS} ms (p50 and max)`,
        pass: a.n > 0 && aborts.missed === 0 && a.max <= ABORT_TARGET_MS,
        detail: `p50 ${ms(a.p50)} ms, max ${ms(a.max)} ms over ${a.n}${aborts.missed ? `, ${aborts.missed} missed` : ''}`,
      },
      {
        label: `${PLAN.streams} concurrent streams under ${mb(RSS_TARGET_BYTES)} RSS`,
        pass: hold.openAtPeak === PLAN.streams && hold.peakRss < RSS_TARGET_BYTES,
        detail: `${mb(hold.peakRss)} with ${hold.openAtPeak} open`,
      },
    ],
  };
}

/** Other work on the machine skews every figure; the load average says how much there was. */
const loadAverage = () => os.loadavg().map((x) => x.toFixed(2)).join(' / ');

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = load1();
  console.log(`chat-overhead${QUICK ? ' --quick' : ''}: node ${process.version}, ${os.cpus().length} CPUs, each server in its own process on 127.0.0.1`);
  console.log('TTFB: request sent → first body byte. +TTFB: the target\'s percentile minus direct\'s percentile (not per-request pairs). Times in ms.');
  console.log(`emulator: ${REPLY_TOKENS}-token replies, chunks back to back; targets interleaved, each round in its own order. Load average ${loadAverage()}.`);
  if (PROFILE_DIR) {
    await mkdir(PROFILE_DIR, { recursive: true });
    console.log(`CPU profiles of the bare proxy and chat-stream per scenario go to ${PROFILE_DIR} (profiling slows both)`);
  }
  const portkey = await child({ kind: 'portkey' });
  const notes: string[] = [];
  const scenarios = await latencyPhase(portkey, notes);
  for (const n of notes) console.log(`note: ${n}`);
  for (const s of scenarios) console.log(`\n${scenarioTable(s)}`);
  const slow = await slowUpstreamPhase(portkey);
  console.log('');
  for (const l of slow.lines) console.log(l);
  const all = [...scenarios.flatMap((s) => verdicts(s, NAMES.chat, NAMES.bare, NAMES.portkey)), ...slow.verdicts];
  console.log('\ntargets:');
  for (const v of all) console.log(`  ${verdictLine(v)}`);
  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s; load average at the end ${loadAverage()}`);
  const written = await writeResults({
    bench: 'chat-overhead',
    // a profiled run is slower, so its figures are kept apart from a full run's
    variant: QUICK ? 'quick' : PROFILE_DIR ? 'profiled' : undefined,
    command: `npx tsx bench/chat-overhead.ts${QUICK ? ' --quick' : ''}${PROFILE_DIR ? ' --profile DIR' : ''}`,
    startedAt: new Date(started),
    finishedAt: new Date(),
    machine: machine(),
    load: { start: loadAtStart, end: load1() },
    plan: { ...PLAN, replyTokens: REPLY_TOKENS },
    verdicts: all,
    tables: [...scenarios.map(scenarioFigures), slow.figures],
    notes,
    data: { scenarios: scenarios.map(scenarioData), slowUpstream: slow.data },
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
  });
