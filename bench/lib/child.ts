// Runs one bench server in its own Node process (so its RSS and event loop are its own) and talks to it
// over IPC: 'ready' with its URL, RSS and CPU time on request, 'close' to stop. The child side is child-main.ts.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type ChildSpec =
  | { kind: 'emulator'; chunkDelayMs: number; replyTokens: number }
  /**
   * `env`: variables over the bench's environment (e.g. GUARDS=off); `dataDir`: its DATA_DIR, kept at close
   * (default: a temporary folder, removed at close).
   */
  | { kind: 'chat-stream'; upstream: string; apiKey: string; env?: Record<string, string>; dataDir?: string }
  | { kind: 'bare-proxy'; upstream: string }
  | { kind: 'portkey' };

export type ToChild =
  | { type: 'usage'; seq: number }
  | { type: 'profile-start' }
  | { type: 'profile-stop'; seq: number; file: string }
  | { type: 'fetch-shim' }
  | { type: 'close' };
/** What a child has used so far, measured inside it. */
export interface Usage {
  /** Resident set size in bytes (process.memoryUsage.rss()). */
  rss: number;
  /** CPU time (user + system) since the process started, in microseconds (process.cpuUsage()). */
  cpuMicros: number;
}
export type FromChild =
  | { type: 'ready'; url: string; apiKey?: string }
  | ({ type: 'usage'; seq: number } & Usage)
  | { type: 'profiled'; seq: number }
  | { type: 'error'; message: string };

export interface ChildServer {
  url: string;
  apiKey?: string;
  pid: number;
  /** The child's RSS and CPU time so far, measured inside it; NaN once it has exited. */
  usage(): Promise<Usage>;
  /** The child's resident set size in bytes; NaN once it has exited. */
  rss(): Promise<number>;
  /** Starts the V8 CPU profiler inside the child. */
  startProfile(): void;
  /** Stops it and writes the profile (a .cpuprofile, for Chrome DevTools) to `file`. */
  stopProfile(file: string): Promise<void>;
  /** Portkey only: re-wrap its upstream fetch() responses (see child-main.ts). */
  enableFetchShim(): void;
  close(): Promise<void>;
}

const CHILD_MAIN = fileURLToPath(new URL('./child-main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function send(child: ChildProcess, msg: ToChild): void {
  child.send(msg);
}

export async function startChild(spec: ChildSpec, startTimeoutMs = 30_000): Promise<ChildServer> {
  const child = fork(CHILD_MAIN, [JSON.stringify(spec)], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<Extract<FromChild, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${spec.kind} did not start in ${startTimeoutMs} ms\n${stderr}`)), startTimeoutMs);
    child.on('message', (m: FromChild) => {
      clearTimeout(timer);
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'error') reject(new Error(`${spec.kind}: ${m.message}\n${stderr}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.kind} exited with ${code}\n${stderr}`));
    });
  });
  let seq = 0;
  const pending = new Map<number, (u: Usage) => void>();
  const gone: Usage = { rss: Number.NaN, cpuMicros: Number.NaN };
  const profiled = new Map<number, () => void>();
  child.on('message', (m: FromChild) => {
    if (m.type === 'usage') pending.get(m.seq)?.({ rss: m.rss, cpuMicros: m.cpuMicros });
    if (m.type === 'profiled') profiled.get(m.seq)?.();
  });
  child.once('exit', () => {
    for (const settle of pending.values()) settle(gone);
  });
  const usage = () =>
    new Promise<Usage>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(gone);
      const id = ++seq;
      pending.set(id, (u) => {
        pending.delete(id);
        resolve(u);
      });
      send(child, { type: 'usage', seq: id });
    });
  return {
    url: ready.url,
    ...(ready.apiKey ? { apiKey: ready.apiKey } : {}),
    pid: child.pid!,
    usage,
    rss: async () => (await usage()).rss,
    startProfile: () => send(child, { type: 'profile-start' }),
    stopProfile: (file) =>
      new Promise<void>((resolve) => {
        const id = ++seq;
        profiled.set(id, () => {
          profiled.delete(id);
          resolve();
        });
        send(child, { type: 'profile-stop', seq: id, file });
      }),
    enableFetchShim: () => send(child, { type: 'fetch-shim' }),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      send(child, { type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
