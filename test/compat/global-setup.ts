// The compatibility suite's stack: `npm start` as a newcomer runs it (dev/start.ts, its own DATA_DIR, no DashScope
// key so the emulator answers), started once for every compat file, whose origin the tests read with `inject`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, startRuntimeProcess } from '../e2e/runtime-process.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>`: the local runtime every compat test talks to. */
    compatOrigin: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'compat-'));
  const port = await freePort();
  const emulatorPort = await freePort();
  // the project's env carries the secret audit's capture, so the runtime's output is audited like a test's; the
  // emulator's media tasks run 20× faster than DashScope's, and the local timer polls every 200 ms
  const env = { ...project.config.env, DATA_DIR: dataDir, LOG_LEVEL: 'info', EMULATOR_PORT: String(emulatorPort), EMULATOR_TIME_SCALE: '20', LOCAL_TIMER_INTERVAL_MS: '200' };
  const runtime = await startRuntimeProcess(env, port, 60_000);
  project.provide('compatOrigin', `http://127.0.0.1:${port}`);
  return async () => {
    await runtime.kill();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
