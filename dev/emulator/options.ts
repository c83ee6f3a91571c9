// The emulator's options (README "Options") and their defaults, resolved once at start.
import type { RunWideFault } from './faults.ts';

export type TaskKind = 'image' | 'video' | 'speech' | 'fine-tune';
export interface TaskTiming {
  /** Emulator-clock ms a task stays PENDING before it may run. */
  pendingMs: number;
  /** Emulator-clock ms it then stays RUNNING. */
  runningMs: number;
}

/** A number overrides the model's RPM; an object any of its limits. `Infinity` switches a limit off. */
export type RateLimitOverride = number | { rpm?: number; tpm?: number; submitsPerSecond?: number; concurrentTasks?: number };

export interface EmulatorOptions {
  /** 0 = any free port (default 0). */
  port?: number;
  host?: string;
  /** Keys it accepts (default `['sk-emulator-local']`); any other Bearer key gets 401. */
  apiKeys?: string[];
  /** Emulator clock speed: 3600 makes a 24-hour expiry pass in 24 s. */
  timeScale?: number;
  taskTimings?: Partial<Record<TaskKind, Partial<TaskTiming>>>;
  /** How long result URLs stay valid, emulator time (default 24 h). */
  resultTtlMs?: number;
  /** How long task data is kept before a query answers UNKNOWN, emulator time (default 24 h). */
  taskTtlMs?: number;
  /** Size of each generated MP4 in bytes (default 64 KiB; streamed, so GiBs are fine). */
  videoBytes?: number;
  /** Per-model limit overrides keyed by model id; key `*` applies to every model without its own entry. */
  rateLimits?: Record<string, RateLimitOverride>;
  /** Cap on task query/list/cancel per second, account-wide (default 20). */
  taskQueryQps?: number;
  /** Run-wide faults: short forms (`latency=50;status=429@0.1`) or parsed rules. */
  faults?: string | RunWideFault[];
  /** Keep the request log (default true). */
  logRequests?: boolean;
  /** Entries the request log keeps (default 10,000; oldest dropped). */
  maxLoggedRequests?: number;
  /** Real ms between SSE chunks (default 5; 0 writes them back to back, still as separate writes). */
  chunkDelayMs?: number;
  /** Fixed answer length in tokens; default depends on the prompt (24–63 tokens). */
  replyTokens?: number;
  /** Secret result URLs are signed with (default fixed, so URLs survive a restart). */
  signingSecret?: string;
  /**
   * Directory that keeps tasks, uploaded files, fine-tune jobs and the clock across restarts (created if
   * missing). Default none: state lives in memory and ends with the emulator.
   */
  stateDir?: string;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  apiKeys: string[];
  timeScale: number;
  taskTimings: Record<TaskKind, TaskTiming>;
  resultTtlMs: number;
  taskTtlMs: number;
  videoBytes: number;
  rateLimits: Record<string, RateLimitOverride>;
  taskQueryQps: number;
  logRequests: boolean;
  maxLoggedRequests: number;
  chunkDelayMs: number;
  replyTokens: number | undefined;
  signingSecret: string;
  stateDir: string | undefined;
}

export const DEFAULT_API_KEY = 'sk-emulator-local';
const DAY_MS = 24 * 3600_000;
const DEFAULT_TIMINGS: Record<TaskKind, TaskTiming> = {
  image: { pendingMs: 1_000, runningMs: 4_000 },
  video: { pendingMs: 2_000, runningMs: 20_000 },
  speech: { pendingMs: 0, runningMs: 1_000 },
  'fine-tune': { pendingMs: 2_000, runningMs: 30_000 },
};
/** Smallest MP4 the generator can lay out (ftyp + moov + an mdat header and a little payload). */
export const MIN_VIDEO_BYTES = 256;

export function resolveOptions(o: EmulatorOptions = {}): ResolvedOptions {
  const timings = { ...DEFAULT_TIMINGS };
  for (const [kind, t] of Object.entries(o.taskTimings ?? {}) as [TaskKind, Partial<TaskTiming>][]) {
    timings[kind] = { ...DEFAULT_TIMINGS[kind], ...t };
  }
  const videoBytes = Math.floor(o.videoBytes ?? 64 * 1024);
  if (!(videoBytes >= MIN_VIDEO_BYTES)) throw new RangeError(`videoBytes must be >= ${MIN_VIDEO_BYTES}`);
  return {
    port: o.port ?? 0,
    host: o.host ?? '127.0.0.1',
    apiKeys: o.apiKeys?.length ? [...o.apiKeys] : [DEFAULT_API_KEY],
    timeScale: o.timeScale ?? 1,
    taskTimings: timings,
    resultTtlMs: o.resultTtlMs ?? DAY_MS,
    taskTtlMs: o.taskTtlMs ?? DAY_MS,
    videoBytes,
    rateLimits: { ...(o.rateLimits ?? {}) },
    taskQueryQps: o.taskQueryQps ?? 20,
    logRequests: o.logRequests ?? true,
    maxLoggedRequests: o.maxLoggedRequests ?? 10_000,
    chunkDelayMs: Math.max(0, o.chunkDelayMs ?? 5),
    replyTokens: o.replyTokens,
    signingSecret: o.signingSecret ?? 'emulator-oss-signing-secret',
    stateDir: o.stateDir,
  };
}
