// When poll-task should look at a task next. Images finish in seconds, videos in minutes: each type gets its
// own schedule (first delay, growth, cap), with jitter so tasks submitted together do not poll together.
import type { TaskType } from '../../domain/task.ts';

export interface PollSchedule {
  firstMs: number;
  factor: number;
  maxMs: number;
}

export const POLL_SCHEDULES: Readonly<Record<TaskType, PollSchedule>> = {
  'text-to-image': { firstMs: 1_000, factor: 1.5, maxMs: 10_000 },
  'text-to-speech': { firstMs: 1_000, factor: 1.5, maxMs: 10_000 },
  'text-to-video': { firstMs: 2_000, factor: 1.6, maxMs: 30_000 },
  'image-to-video': { firstMs: 2_000, factor: 1.6, maxMs: 30_000 },
  // training takes minutes to hours, and only one job of an account runs at a time
  'fine-tune': { firstMs: 5_000, factor: 2, maxMs: 300_000 },
};

/** ±10 % around the computed delay. */
const JITTER = 0.1;

/** The delay before poll number `pollCount` (0 = the first poll after submission). */
export function pollDelayMs(schedule: PollSchedule, pollCount: number, random: () => number = Math.random): number {
  const base = Math.min(schedule.maxMs, schedule.firstMs * schedule.factor ** Math.max(0, pollCount));
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

/** Delay before retrying something that failed `attempt` times (1-based): doubling from `baseMs`, capped. */
export function retryDelayMs(baseMs: number, attempt: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

/** When poll number `pollCount` of a task of `type` is due. */
export function nextPollAt(
  now: Date,
  type: TaskType,
  pollCount: number,
  t: { schedules: Readonly<Record<TaskType, PollSchedule>>; random: () => number },
): Date {
  return new Date(now.getTime() + pollDelayMs(t.schedules[type], pollCount, t.random));
}
