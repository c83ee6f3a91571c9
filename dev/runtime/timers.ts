// Timer triggers, locally: each enabled trigger fires every LOCAL_TIMER_INTERVAL_MS (the cron is the cloud's)
// with FC's payload. A tick is skipped while the previous one runs, so a slow poll never overlaps itself.
import type { LoadedFunction } from './functions.ts';
import type { Invocations } from './invocations.ts';
import type { TriggerSpec } from './s-yaml.ts';

type TimerTrigger = Extract<TriggerSpec, { triggerType: 'timer' }>;

export interface TimerHandle {
  fn: string;
  trigger: string;
  cron: string;
}

/** FC's triggerTime: UTC to the second, e.g. 2023-12-26T07:49:00Z. */
export const triggerTime = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function startTimers(functions: readonly LoadedFunction[], intervalMs: number, invocations: Invocations): { handles: TimerHandle[]; stop(): void } {
  const intervals: NodeJS.Timeout[] = [];
  const handles: TimerHandle[] = [];
  for (const fn of functions) {
    for (const t of fn.spec.triggers) {
      if (t.triggerType !== 'timer' || !t.triggerConfig.enable) continue;
      const trigger: TimerTrigger = t;
      let running = false;
      const tick = () => {
        if (running) return;
        running = true;
        const event = { triggerTime: triggerTime(new Date()), triggerName: trigger.triggerName, ...(trigger.triggerConfig.payload !== undefined ? { payload: trigger.triggerConfig.payload } : {}) };
        invocations
          .invoke(fn, trigger.triggerName, 'timer', event)
          .catch(() => undefined) // recorded and logged by Invocations; the next tick is the retry
          .finally(() => (running = false));
      };
      intervals.push(setInterval(tick, intervalMs));
      handles.push({ fn: fn.name, trigger: trigger.triggerName, cron: trigger.triggerConfig.cronExpression });
    }
  }
  return { handles, stop: () => intervals.forEach(clearInterval) };
}
