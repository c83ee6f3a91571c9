// The emulator's state, built once per instance and handed to every handler: options, clock, limits and
// the in-memory stores. Nothing here is module-level, so two emulators in one process stay independent.
import type { EmulatorClock } from './clock.ts';
import type { FileStore } from './files.ts';
import type { FineTuneStore } from './fine-tune-store.ts';
import type { ResolvedOptions } from './options.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { ResultSigner } from './results.ts';
import type { EmulatorTasks } from './task-store.ts';

export interface EmulatorEnv {
  options: ResolvedOptions;
  clock: EmulatorClock;
  limits: RateLimiter;
  tasks: EmulatorTasks;
  files: FileStore;
  fineTunes: FineTuneStore;
  results: ResultSigner;
  /** `http://host:port`, known once the server listens. */
  origin(): string;
}
