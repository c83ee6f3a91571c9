// The task use cases over the real local adapters (SQLite, a folder for OSS, the in-process bus) in a temp
// dir, with a clock tests can move forward and timings shrunk to milliseconds so whole lifecycles run fast.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalEventBus } from '../../shared/adapters/local-bus/local-event-bus.ts';
import { LocalFsObjectStore } from '../../shared/adapters/local-fs/local-fs-object-store.ts';
import { openDatabase } from '../../shared/adapters/sqlite/database.ts';
import { SqliteKeyStore } from '../../shared/adapters/sqlite/sqlite-key-store.ts';
import { SqliteGuardStore } from '../../shared/adapters/sqlite/sqlite-guard-store.ts';
import { createGuard } from '../../shared/use-cases/guards/guard.ts';
import { SqliteTaskStore } from '../../shared/adapters/sqlite/sqlite-task-store.ts';
import { SqlitePipelineStore } from '../../shared/adapters/sqlite/sqlite-pipeline-store.ts';
import { loadConfig, type Config } from '../../shared/config/config.ts';
import { localClientKeySecret } from '../../shared/deps/local-deps.ts';
import type { Deps } from '../../shared/deps/deps.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import { uuidIds, type Clock } from '../../shared/ports/clock.ts';
import type { DomainEvent } from '../../shared/ports/event-bus.ts';
import type { PollOptions } from '../../shared/use-cases/tasks/poll-due-tasks.ts';
import { defaultTimings, type TaskDeps, type TaskTimings } from '../../shared/use-cases/tasks/task-deps.ts';
import type { TaskUpstream } from '../../shared/ports/task-upstream.ts';

export interface ManualClock extends Clock {
  advance(ms: number): void;
}

/** Real time plus whatever the test has skipped forward. */
export function manualClock(): ManualClock {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => void (offset += ms) };
}

const FAST = { firstMs: 5, factor: 1.5, maxMs: 40 };

export function fastTimings(base: TaskTimings): TaskTimings {
  return {
    ...base,
    leaseMs: 30_000,
    submitLeaseMs: 60_000,
    reconcileAfterMs: 1_000,
    redriveAfterMs: 60_000,
    retryBaseMs: 5,
    schedules: { 'text-to-image': FAST, 'text-to-speech': FAST, 'text-to-video': { ...FAST, firstMs: 10 }, 'image-to-video': { ...FAST, firstMs: 10 }, 'fine-tune': FAST },
    random: () => 0.5,
  };
}

export interface TaskHarness {
  dir: string;
  clock: ManualClock;
  /** With the whole config, so the functions' entry points take it as it is. */
  deps: TaskDeps & Pick<Deps, 'keys' | 'clientKeySecret' | 'guards'> & { config: Config };
  tasks: SqliteTaskStore;
  /** The cost ledger, counters and reservations the task use cases bill through (deps.guard). */
  guards: SqliteGuardStore;
  events: LocalEventBus;
  objects: LocalFsObjectStore;
  timings: TaskTimings;
  /** Poll options for a short, fast run. */
  pollOptions(overrides?: Partial<PollOptions>): Partial<PollOptions>;
  eventsOf(taskId: string): DomainEvent[];
  close(): void;
}

export function createTaskHarness(dashscope: TaskUpstream, env: Record<string, string> = {}): TaskHarness {
  const dir = mkdtempSync(join(tmpdir(), 'tasks-'));
  const clock = manualClock();
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', RUNTIME_MODE: 'local', ...env });
  const db = openDatabase(join(dir, 'local.db'));
  const tasks = new SqliteTaskStore(db);
  const events = new LocalEventBus({ file: join(dir, 'events.jsonl') });
  const objects = new LocalFsObjectStore({ dataDir: dir, publicBaseUrl: () => 'http://127.0.0.1:9', clock });
  const guards = new SqliteGuardStore(db);
  const guard = createGuard({ guards, events, clock, logger: silentLogger, config });
  const deps = { config, logger: silentLogger, clock, ids: uuidIds, dashscope, tasks, events, objects, keys: new SqliteKeyStore(db), clientKeySecret: localClientKeySecret(config), guards, guard, pipelines: new SqlitePipelineStore(db) };
  const timings = fastTimings(defaultTimings(config));
  return {
    dir,
    clock,
    deps,
    tasks,
    guards,
    events,
    objects,
    timings,
    pollOptions: (o = {}) => ({ timings, queriesPerSecond: 1_000, maxRunMs: 5_000, idleCheckMs: 10, ...o }),
    eventsOf: (id) => events.history().filter((e) => e.subject === id),
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
