// How many due tasks one poll-task invocation settles per minute while staying under DashScope's task-query
// cap (20 QPS per account), against the emulator (which enforces the cap) and the local adapters. Then the
// same with two overlapping invocations, the case the per-invocation budget is sized for.
// Run: npx tsx bench/poll.ts [--tasks=N] [--seconds=S]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../dev/emulator/server.ts';
import { loadConfig } from '../shared/config/config.ts';
import { createLocalDeps } from '../shared/deps/local-deps.ts';
import type { Task } from '../shared/domain/task.ts';
import { silentLogger } from '../shared/log/logger.ts';
import { defaultPollOptions, pollDueTasks, type PollSummary } from '../shared/use-cases/tasks/poll-due-tasks.ts';

const arg = (name: string, fallback: number): number => {
  const v = process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  return v ? Number(v) : fallback;
};
const TASKS = arg('tasks', 600);
const SECONDS = arg('seconds', 30);
const CAP_QPS = 20;

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

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

async function scenario(label: string, invocations: number): Promise<void> {
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
    const elapsedS = (performance.now() - started) / 1_000;
    const settled = runs.reduce((n, r) => n + (r.outcomes.succeeded ?? 0) + (r.outcomes.failed ?? 0) + (r.outcomes.expired ?? 0) + (r.outcomes.canceled ?? 0), 0);
    const q = peakQps(emu, since);
    const left = (await deps.tasks.listByStatus('PENDING', TASKS)).tasks.length;
    const rate = settled / (elapsedS / 60);
    console.log(
      [
        label.padEnd(28),
        `${String(settled).padStart(5)} settled in ${elapsedS.toFixed(1)} s`,
        `${rate.toFixed(0).padStart(5)} tasks/min`,
        `peak ${q.peak} queries/s (cap ${CAP_QPS})`,
        `${q.total} queries, ${q.throttled} throttled`,
        `${left} still PENDING`,
        q.peak <= CAP_QPS ? 'under the cap' : 'OVER THE CAP',
      ].join(' | '),
    );
  } finally {
    await deps.close();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const per = defaultPollOptions({ config: loadConfig({ LOG_LEVEL: 'silent', RUNTIME_MODE: 'local' }) }).queriesPerSecond;
console.log(`poll-task: ${TASKS} due image tasks, each settled by one query; ${SECONDS} s per run; budget ${per} queries/s per invocation`);
await scenario('1 invocation', 1);
await scenario('2 overlapping invocations', 2);
