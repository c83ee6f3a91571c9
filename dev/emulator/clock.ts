// The emulator's own clock: real time sped up by `timeScale`, plus jumps from `advance`, so task timers and
// 24-hour URL expiry can pass in seconds. Implements the project's Clock port.
import type { Clock } from '../../shared/ports/clock.ts';

export interface EmulatorClock extends Clock {
  /** Emulator time in epoch milliseconds. */
  nowMs(): number;
  /** Jumps the clock forward (tasks move on, URLs expire) without waiting. */
  advance(ms: number): void;
}

/** `resumeAtMs` starts the clock at a saved emulator time (a restart continues where it stopped) instead of now. */
export function createScaledClock(timeScale = 1, realNow: () => number = Date.now, resumeAtMs?: number): EmulatorClock {
  if (!(timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${timeScale}`);
  const origin = realNow();
  const start = resumeAtMs ?? origin;
  let offset = 0;
  const nowMs = () => start + (realNow() - origin) * timeScale + offset;
  return {
    nowMs,
    now: () => new Date(nowMs()),
    advance(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance takes a finite ms >= 0, got ${ms}`);
      offset += ms;
    },
  };
}

const UTC8_MS = 8 * 3600_000;

/** DashScope's task times: `YYYY-MM-DD HH:mm:ss.SSS` in UTC+8, no offset written. */
export function formatUtc8(ms: number): string {
  return new Date(ms + UTC8_MS).toISOString().replace('T', ' ').slice(0, 23);
}

/** Fine-tune times: `YYYY-MM-DD HH:mm:ss` in UTC+8. */
export function formatUtc8Seconds(ms: number): string {
  return formatUtc8(ms).slice(0, 19);
}

/** Parses the list endpoint's `YYYYMMDDhhmmss` (UTC+8) into epoch ms; undefined when malformed. */
export function parseCompactUtc8(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number) as number[];
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, se!) - UTC8_MS;
  return Number.isFinite(ms) ? ms : undefined;
}
