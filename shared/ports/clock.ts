// Time and identity, injected so tests and the emulator's fast clock can drive them.
import { randomUUID } from 'node:crypto';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface IdGenerator {
  /** A new unique id, e.g. `task_…`. */
  next(prefix: string): string;
}

export const uuidIds: IdGenerator = { next: (prefix) => `${prefix}_${randomUUID().replaceAll('-', '')}` };
