// The local runtime (or the cloud rehearsal) as its own process group (`node --import tsx <script>`), for tests
// that kill it the way a crash does (SIGKILL to the whole group) and start it again on the same DATA_DIR and ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface RuntimeProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGKILL to the whole group (tsx, node, anything they started); resolves once the child is gone. */
  kill(timeoutMs?: number): Promise<void>;
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/**
 * Starts the runtime (`script`: dev/start.ts, or dev/cloud/start-cloud.ts for the cloud rehearsal) with `env`
 * (this process's DASHSCOPE_* and cloud variables removed unless `env` sets them) and waits until it serves HTTP.
 */
export async function startRuntimeProcess(env: Record<string, string>, port: number, readyTimeoutMs: number, script = 'dev/start.ts'): Promise<RuntimeProcess> {
  // this process's DashScope and cloud settings never leak in; what `env` names explicitly is kept
  const full: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['DASHSCOPE_API_KEY', 'DASHSCOPE_BASE_URL', 'RUNTIME_MODE', 'FC_FUNCTION_NAME', 'PUBLIC_BASE_URL']) delete full[k];
  Object.assign(full, env, { PORT: String(port) });
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repo, env: full, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const proc: RuntimeProcess = {
    child,
    output: () => out,
    async kill(timeoutMs = 10_000) {
      if (!child.pid || !alive(child)) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    },
  };
  const ready = new RegExp(`HTTP on http://127\\.0\\.0\\.1:${port}\\b`);
  const end = Date.now() + readyTimeoutMs;
  while (!ready.test(out)) {
    if (!alive(child)) throw new Error(`the runtime exited before serving HTTP:\n${out}`);
    if (Date.now() > end) {
      await proc.kill();
      throw new Error(`the runtime did not serve HTTP within ${readyTimeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return proc;
}
