// The DashScope emulator: one node:http server for `/compatible-mode/v1/*`, `/api/v1/*`, `/results/` files
// and the `/_emulator/` control API. `startEmulator` is the entry for tests, benches and the local runtime.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createScaledClock, type EmulatorClock } from './clock.ts';
import { handleControl } from './control.ts';
import type { EmulatorEnv } from './env.ts';
import { FaultQueue, parseShortFaults, type FaultRule, type QueuedFault } from './faults.ts';
import { FileStore } from './files.ts';
import { FineTuneStore } from './fine-tune-store.ts';
import { handleRequest } from './handle-request.ts';
import { expectedMedia, type ExpectedMedia } from './media.ts';
import { resolveOptions, type EmulatorOptions } from './options.ts';
import { RateLimiter } from './rate-limit.ts';
import { RequestLog, type RequestLogEntry } from './request-log.ts';
import { ResultSigner } from './results.ts';
import { readSavedState, StateJournal } from './state-journal.ts';
import { EmulatorTasks, type TaskState } from './task-store.ts';

export type { EmulatorOptions } from './options.ts';
export type { RequestLogEntry } from './request-log.ts';

export interface TaskSnapshot {
  taskId: string;
  model: string;
  status: TaskState;
  requestId: string;
  /** Emulator-clock epoch ms. */
  createdAt: number;
}

export interface Emulator {
  /** `http://127.0.0.1:<port>`: base of `/compatible-mode/v1` and `/api/v1`. */
  readonly url: string;
  readonly port: number;
  /** The (first) key it accepts. */
  readonly apiKey: string;
  readonly faults: {
    add(rule: FaultRule): string;
    remove(id: string): boolean;
    clear(): void;
    list(): QueuedFault[];
  };
  /** The request log (a snapshot, oldest first). */
  readonly requests: RequestLogEntry[];
  /** Resolves once `cond` holds, checked as each request starts and ends (e.g. until one ended). */
  whenRequests(cond: (requests: RequestLogEntry[]) => boolean): Promise<void>;
  readonly clock: EmulatorClock;
  readonly media: {
    /** Content type, size and sha256 of what a result URL serves (generated, not fetched). */
    expected(url: string): Promise<ExpectedMedia>;
    expectedSha256(url: string): Promise<string>;
  };
  readonly tasks: { list(): TaskSnapshot[] };
  /** Clears faults, the request log, tasks, files, fine-tune jobs and rate-limit windows. */
  reset(): void;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const opts = resolveOptions(options);
  const runWide = typeof options.faults === 'string' ? parseShortFaults(options.faults) : [...(options.faults ?? [])];
  const saved = opts.stateDir ? readSavedState(opts.stateDir) : undefined;
  const journal = opts.stateDir ? new StateJournal(opts.stateDir, opts.timeScale) : undefined;
  const scaled = createScaledClock(opts.timeScale, Date.now, saved?.resumeAtMs);
  // A jump of the clock is saved at once: a restart right after it must not undo it.
  const clock: EmulatorClock = journal ? { ...scaled, advance: (ms) => (scaled.advance(ms), journal.saveClock()) } : scaled;
  let origin = '';
  const env: EmulatorEnv = {
    options: opts,
    clock,
    limits: new RateLimiter(opts.rateLimits, opts.taskQueryQps),
    tasks: new EmulatorTasks(clock, opts.taskTtlMs, journal),
    files: new FileStore(journal),
    fineTunes: new FineTuneStore(clock, journal),
    results: new ResultSigner(opts.signingSecret),
    origin: () => origin,
  };
  if (journal) {
    for (const r of saved?.records ?? []) {
      env.tasks.apply(r);
      env.files.apply(r);
      env.fineTunes.apply(r);
    }
    journal.start([...env.tasks.records(), ...env.files.records(), ...env.fineTunes.records()], clock);
  }
  const queue = new FaultQueue();
  const log = new RequestLog(opts.maxLoggedRequests, opts.logRequests);
  const reset = () => {
    queue.clear();
    log.clear();
    env.tasks.clear();
    env.files.clear();
    env.fineTunes.clear();
    env.limits.clear();
    journal?.append({ op: 'reset' });
  };
  const control = { queue, log, reset, nowMs: () => clock.nowMs(), advance: (ms: number) => (clock.advance(ms), clock.nowMs()) };

  const server: Server = createServer({ requestTimeout: 0, keepAliveTimeout: 5_000 }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const done = url.pathname.startsWith('/_emulator/')
      ? handleControl(req, res, url.pathname, url.searchParams, control)
      : handleRequest(req, res, { env, queue, runWide, log }, url.pathname, url.searchParams);
    done.catch((e: unknown) => {
      console.error('[emulator] request failed', e);
      res.destroy();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => resolve());
    });
  } catch (e) {
    journal?.close();
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  origin = `http://${host}:${port}`;

  return {
    url: origin,
    port,
    apiKey: opts.apiKeys[0]!,
    faults: { add: (r) => queue.add(r), remove: (id) => queue.remove(id), clear: () => queue.clear(), list: () => queue.list() },
    get requests() {
      return log.list();
    },
    whenRequests: (cond) => log.until(() => cond(log.list())),
    clock,
    media: { expected: expectedMedia, expectedSha256: async (u) => (await expectedMedia(u)).sha256 },
    tasks: {
      list: () =>
        env.tasks.all().map((t) => ({ taskId: t.taskId, model: t.model.id, status: env.tasks.stateOf(t), requestId: t.requestId, createdAt: t.createdAt })),
    },
    reset,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).finally(() => journal?.close()),
  };
}
