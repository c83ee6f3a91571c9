// How many due tasks one poll-task invocation (then two overlapping) settles per minute against the emulator,
// which enforces DashScope's task-query cap of 20 QPS per account. Run: npx tsx bench/poll.ts [--quick]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startEmulator } from '../dev/emulator/server.ts';
import { loadConfig } from '../shared/config/config.ts';
import { createLocalDeps } from '../shared/deps/local-deps.ts';
import type { Task } from '../shared/domain/task.ts';
import { silentLogger } from '../shared/log/logger.ts';
import { defaultPollOptions, pollDueTasks, type PollSummary } from '../shared/use-cases/tasks/poll-due-tasks.ts';
import { load1, machine, verdictLine, writeResults, type Verdict } from './lib/results.ts';
import { table } from './lib/stats.ts';

const QUICK = process.argv.includes('--quick');
const arg = (name: string, fallback: number): number => {
  const v = process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  return v ? Number(v) : fallback;
};
const DEFAULTS = QUICK ? { tasks: 150, seconds: 8 } : { tasks: 600, seconds: 30 };
const TASKS = arg('tasks', DEFAULTS.tasks);
const SECONDS = arg('seconds', DEFAULTS.seconds);
/** A run with other counts than the full plan's is not a full run, and is written apart from it. */
const VARIANT = QUICK ? 'quick' : TASKS !== DEFAULTS.tasks || SECONDS !== DEFAULTS.seconds ? 'custom' : undefined;
const CAP_QPS = 20;

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

interface ScenarioFigures {
  label: string;
  invocations: number;
  settled: number;
  seconds: number;
  tasksPerMinute: number;
  peakQps: number;
  queries: number;
  throttled: number;
  stillPending: number;
}

/** Highest number of task queries (GET/list/cancel) the emulator saw in any 1-second window. */
function peakQps(emu: Emulator, since: number): { peak: number; total: number; throttled: number } {
  const times = emu.requests
    .filter((r) => r.startedAt >= since && r.path.startsWith('/api/v1/tasks'))
    .map((r) => r.startedAt)
    .sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 1_000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  const throttled = emu.requests.filter((r) => r.startedAt >= since && r.path.startsWith('/api/v1/tasks') && r.status === 429).length;
  return { peak, total: times.length, throttled };
}

async function scenario(label: string, invocations: number): Promise<ScenarioFigures> {
  const emu = await startEmulator({
    port: 0,
    logRequests: true,
    taskTimings: { image: { pendingMs: 0, runningMs: 0 } },
    rateLimits: { '*': { rpm: Infinity, submitsPerSecond: Infinity, concurrentTasks: Infinity } },
  });
  const dir = mkdtempSync(join(tmpdir(), 'bench-poll-'));
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', RUNTIME_MODE: 'local', DASHSCOPE_BASE_URL: emu.url, DASHSCOPE_API_KEY: emu.apiKey });
  const deps = createLocalDeps(config, { logger: silentLogger });
  try {
    // N tasks already accepted upstream and due now, as submit-task leaves them.
    const now = new Date().toISOString();
    for (let i = 0; i < TASKS; i++) {
      const body = { model: 'wanx2.1-t2i-turbo', input: { prompt: `bench ${i}` }, parameters: { size: '512*512', n: 1 } };
      const { taskId, requestId } = await deps.dashscope.createTask('text2image', body);
      const task: Task = {
        id: `task_bench_${i}`, type: 'text-to-image', model: body.model, status: 'PENDING', input: body.input, parameters: body.parameters,
        dashscopeTaskId: taskId, dashscopeRequestId: requestId, outputs: [], pollCount: 0, dueAt: now, version: 1, createdAt: now, updatedAt: now,
      };
      await deps.tasks.create(task);
    }
    const since = Date.now();
    const started = performance.now();
    const runs: PollSummary[] = await Promise.all(
      Array.from({ length: invocations }, (_, i) =>
        pollDueTasks(deps, { requestId: `bench-${i}` }, { ...defaultPollOptions(deps), maxRunMs: SECONDS * 1_000, deadlineMarginMs: 0 }),
      ),
    );
    const seconds = (performance.now() - started) / 1_000;
    const settled = runs.reduce((n, r) => n + (r.outcomes.succeeded ?? 0) + (r.outcomes.failed ?? 0) + (r.outcomes.expired ?? 0) + (r.outcomes.canceled ?? 0), 0);
    const q = peakQps(emu, since);
    const stillPending = (await deps.tasks.listByStatus('PENDING', TASKS)).tasks.length;
    return { label, invocations, settled, seconds, tasksPerMinute: settled / (seconds / 60), peakQps: q.peak, queries: q.total, throttled: q.throttled, stillPending };
  } finally {
    await deps.close();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const startedAt = new Date();
const loadAtStart = load1();
const per = defaultPollOptions({ config: loadConfig({ LOG_LEVEL: 'silent', RUNTIME_MODE: 'local' }) }).queriesPerSecond;
console.log(`poll-task${QUICK ? ' --quick' : ''}: ${TASKS} due image tasks, each settled by one query; ${SECONDS} s per run; budget ${per} queries/s per invocation`);
const scenarios = [await scenario('1 invocation', 1), await scenario('2 overlapping invocations', 2)];
const rows = [
  ['scenario', 'settled', 's', 'tasks/min', 'peak queries/s', 'queries', 'throttled', 'still PENDING'],
  ...scenarios.map((s) => [s.label, String(s.settled), s.seconds.toFixed(1), s.tasksPerMinute.toFixed(0), String(s.peakQps), String(s.queries), String(s.throttled), String(s.stillPending)]),
];
console.log(`\n${table(rows)}`);
const verdicts: Verdict[] = scenarios.map((s) => ({
  label: `${s.label}: peak task queries ≤ ${CAP_QPS}/s (DashScope's cap)`,
  pass: s.peakQps <= CAP_QPS,
  detail: `peak ${s.peakQps}/s, ${s.throttled} throttled`,
}));
console.log('\ntargets:');
for (const v of verdicts) console.log(`  ${verdictLine(v)}`);
const written = await writeResults({
  bench: 'poll',
  variant: VARIANT,
  command: `npx tsx bench/poll.ts${QUICK ? ' --quick' : ''}${VARIANT === 'custom' ? ` --tasks=${TASKS} --seconds=${SECONDS}` : ''}`,
  startedAt,
  finishedAt: new Date(),
  machine: machine(),
  load: { start: loadAtStart, end: load1() },
  plan: { tasks: TASKS, secondsPerRun: SECONDS, queriesPerSecondPerInvocation: per, capQps: CAP_QPS },
  verdicts,
  tables: [{ title: 'tasks settled', rows }],
  data: { scenarios },
});
console.log(`results: ${relative(process.cwd(), written.md)}, ${relative(process.cwd(), written.json)}`);
