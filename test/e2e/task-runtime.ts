// The local runtime for end-to-end task tests (emulator 50× faster, timer every 100 ms, its own DATA_DIR), started
// before the file's tests and closed after, with the two calls they all make: submit a task, wait for its end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll } from 'vitest';
import { startRuntime, type Runtime } from '../../dev/runtime/runtime.ts';
import type { TaskView } from '../../shared/use-cases/tasks/task-view.ts';

export type TaskAnswer = TaskView & { error?: { code: string; message: string; param?: string } };

export interface TaskRuntime {
  readonly rt: Runtime;
  readonly dataDir: string;
  /** `POST /v1/tasks` with `body` as JSON: the status and the answer. */
  post(body: unknown): Promise<{ status: number; json: TaskAnswer }>;
  /** The task once it ended (PERSISTED, FAILED, CANCELED, EXPIRED), or as it stands after `timeoutMs`. */
  untilSettled(id: string, timeoutMs?: number): Promise<TaskView>;
}

export function useTaskRuntime(prefix: string): TaskRuntime {
  let rt: Runtime | undefined;
  let dataDir = '';
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), prefix));
    rt = await startRuntime({
      env: { DATA_DIR: dataDir, PORT: '0', LOCAL_TIMER_INTERVAL_MS: '100', EMULATOR_PORT: '0', EMULATOR_TIME_SCALE: '50', LOG_LEVEL: 'silent' },
    });
  }, 20_000);
  afterAll(async () => {
    await rt?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const runtime = (): Runtime => {
    if (!rt) throw new Error('the runtime is not started');
    return rt;
  };
  return {
    get rt() {
      return runtime();
    },
    get dataDir() {
      return dataDir;
    },
    async post(body) {
      const res = await fetch(`${runtime().url}/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, json: (await res.json()) as TaskAnswer };
    },
    async untilSettled(id, timeoutMs = 25_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const view = (await (await fetch(`${runtime().url}/v1/tasks/${id}`)).json()) as TaskView;
        if (['PERSISTED', 'FAILED', 'CANCELED', 'EXPIRED'].includes(view.status) || Date.now() > end) return view;
        await sleep(100);
      }
    },
  };
}
