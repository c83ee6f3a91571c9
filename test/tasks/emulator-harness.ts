// The task lifecycle against the DashScope emulator with the local composition root: the real client, SQLite,
// the folder bucket, and persist-to-oss's use case run on every manifest written (retried like FC's async
// invocations). The deps clock is the emulator's, so one `advance` moves leases, due times and URL expiry.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmulator, type EmulatorOptions } from '../../dev/emulator/server.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { createLocalDeps, type LocalDeps } from '../../shared/deps/local-deps.ts';
import { taskIdFromManifestKey } from '../../shared/domain/manifest.ts';
import { isTerminal, type Task } from '../../shared/domain/task.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import type { DomainEvent } from '../../shared/ports/event-bus.ts';
import { persistResult } from '../../shared/use-cases/persist/persist-result.ts';
import { pollDueTasks, type PollOptions } from '../../shared/use-cases/tasks/poll-due-tasks.ts';
import { defaultTimings, type StepHooks, type TaskDeps, type TaskTimings } from '../../shared/use-cases/tasks/task-deps.ts';
import { fastTimings } from './harness.ts';

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

export interface EmulatorHarness {
  emu: Emulator;
  deps: LocalDeps;
  timings: TaskTimings;
  /** Task deps, with step hooks when given. */
  taskDeps(hooks?: StepHooks): TaskDeps;
  poll(overrides?: Partial<PollOptions>, hooks?: StepHooks): ReturnType<typeof pollDueTasks>;
  /** Polls (moving the clock past leases between rounds) until every task is terminal and persist is idle. */
  settle(ids: string[], rounds?: number, overrides?: Partial<PollOptions>): Promise<Task[]>;
  /** Distinct events of a task (by id), in order, and how many were published in all. */
  eventsOf(id: string): { types: string[]; raw: number };
  creates(): number;
  /** Resolves when no persist run (or retry) is in flight. */
  idle(): Promise<void>;
  persistRuns: { key: string; ok: boolean }[];
  close(): Promise<void>;
}

const PERSIST_RETRIES = 3;

export async function createEmulatorHarness(options: EmulatorOptions = {}): Promise<EmulatorHarness> {
  const emu = await startEmulator({
    port: 0,
    taskTimings: { image: { pendingMs: 20, runningMs: 40 }, video: { pendingMs: 20, runningMs: 60 } },
    rateLimits: { '*': { rpm: Infinity, submitsPerSecond: Infinity, concurrentTasks: Infinity } },
    ...options,
  });
  const dir = mkdtempSync(join(tmpdir(), 'tasks-emu-'));
  const config = loadConfig({
    DATA_DIR: dir,
    LOG_LEVEL: 'silent',
    RUNTIME_MODE: 'local',
    DASHSCOPE_BASE_URL: emu.url,
    DASHSCOPE_API_KEY: emu.apiKey,
    DASHSCOPE_TIMEOUT_MS: '1000',
    DASHSCOPE_MAX_RETRIES: '2',
    // As the local runtime does: the emulator's exact origin is appended to the result host allowlist.
    RESULT_HOST_ALLOWLIST: `*.aliyuncs.com,${emu.url}`,
  });
  const deps = createLocalDeps(config, { logger: silentLogger, clock: emu.clock, publicBaseUrl: () => 'http://127.0.0.1:9' });
  const timings = fastTimings(defaultTimings(config));
  const persistDeps = { tasks: deps.tasks, events: deps.events, clock: deps.clock, objects: deps.objects, logger: silentLogger, results: deps.results, notReadyWaitMs: 50 };
  const pending = new Set<Promise<void>>();
  const persistRuns: { key: string; ok: boolean }[] = [];

  const persist = async (key: string) => {
    for (let attempt = 0; attempt <= PERSIST_RETRIES; attempt++) {
      try {
        await persistResult(persistDeps, key);
        persistRuns.push({ key, ok: true });
        return;
      } catch {
        persistRuns.push({ key, ok: false });
        await sleep(20 * 2 ** attempt);
      }
    }
  };
  deps.objects.onObjectCreated((e) => {
    if (!taskIdFromManifestKey(e.meta.key)) return;
    const p = persist(e.meta.key).finally(() => pending.delete(p));
    pending.add(p);
  });
  const idle = async () => {
    while (pending.size) await Promise.allSettled([...pending]);
  };

  const taskDeps = (hooks?: StepHooks): TaskDeps => ({ ...deps, speech: deps.dashscope, ...(hooks ? { hooks } : {}) });
  let runs = 0;
  const poll = (o: Partial<PollOptions> = {}, hooks?: StepHooks) =>
    pollDueTasks(taskDeps(hooks), { requestId: `poll-${++runs}` }, { timings, queriesPerSecond: 15, maxRunMs: 3_000, idleCheckMs: 10, ...o });

  return {
    emu,
    deps,
    timings,
    taskDeps,
    poll,
    async settle(ids, rounds = 8, overrides = {}) {
      for (let round = 0; round < rounds; round++) {
        await poll(overrides);
        await idle();
        const tasks = await Promise.all(ids.map(async (id) => (await deps.tasks.get(id))!));
        if (tasks.every((t) => isTerminal(t.status))) return tasks;
        // Whatever is stuck waits on a lease or a due time: move past both.
        emu.clock.advance(Math.max(timings.leaseMs, timings.submitLeaseMs, timings.reconcileAfterMs) + 1_000);
      }
      return Promise.all(ids.map(async (id) => (await deps.tasks.get(id))!));
    },
    eventsOf(id) {
      const all = deps.events.history().filter((e: DomainEvent) => e.subject === id);
      const seen = new Set<string>();
      const types = all.filter((e) => !seen.has(e.id) && seen.add(e.id)).map((e) => e.type);
      return { types, raw: all.length };
    },
    creates: () => emu.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/api/v1/services/aigc/')).length,
    idle,
    persistRuns,
    async close() {
      await idle();
      await deps.close();
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
