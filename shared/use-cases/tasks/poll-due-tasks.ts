// pollDueTasks, one poll-task invocation: takes the due tasks, claims each with a lease so pollers never work
// on one task together, and processes a few at a time under a query pacer until its time budget ends.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Task } from '../../domain/task.ts';
import { createPacer, type Pacer } from './rate-limiter.ts';
import { processClaimed, releaseAfterError } from './process-claimed.ts';
import { retryDelayMs } from './backoff.ts';
import { defaultTimings, StepCrash, type TaskDeps, type TaskTimings } from './task-deps.ts';

export interface PollOptions {
  /**
   * Task queries per second for this invocation. DashScope caps query/list/cancel at 20 QPS per account; 8
   * leaves room for a second, overlapping invocation and for cancels from submit-task.
   */
  queriesPerSecond: number;
  /** Tasks processed at once. */
  concurrency: number;
  /** Due tasks fetched per query. */
  batchSize: number;
  /** Longest run, whatever the platform's timeout (a timer fires every minute). */
  maxRunMs: number;
  /** Time kept back before the platform's deadline: no claim is made after it. */
  deadlineMarginMs: number;
  /** Longest sleep while waiting for the next task to fall due. */
  idleCheckMs: number;
  /** Timeout of one task query. */
  queryTimeoutMs: number;
  timings: TaskTimings;
  /** A pacer shared with other callers; by default each invocation has its own. */
  pacer?: Pacer;
}

export function defaultPollOptions(deps: Pick<TaskDeps, 'config'>): PollOptions {
  return {
    queriesPerSecond: 8,
    concurrency: 8,
    batchSize: 32,
    maxRunMs: 50_000,
    deadlineMarginMs: 10_000,
    idleCheckMs: 1_000,
    queryTimeoutMs: 15_000,
    timings: defaultTimings(deps.config),
  };
}

export interface PollRun {
  /** The invocation's request id (names the lease owner). */
  requestId: string;
  /** Milliseconds the invocation may still run. */
  deadlineMs?: number;
}

export interface PollSummary {
  claimed: number;
  /** Due tasks another poller claimed first. */
  lost: number;
  errors: number;
  outcomes: Record<string, number>;
  stoppedBy: 'idle' | 'budget';
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export async function pollDueTasks(deps: TaskDeps, run: PollRun, overrides: Partial<PollOptions> = {}): Promise<PollSummary> {
  const o: PollOptions = { ...defaultPollOptions(deps), ...overrides };
  const t = o.timings;
  const log = deps.logger.child({ requestId: run.requestId });
  const started = performance.now();
  const budgetMs = Math.min(o.maxRunMs, run.deadlineMs !== undefined ? run.deadlineMs - o.deadlineMarginMs : Number.POSITIVE_INFINITY);
  const remaining = () => budgetMs - (performance.now() - started);
  // Calls still running when the platform's deadline is near are cut off rather than killed with the instance.
  const hardStop = new AbortController();
  const hardTimer = run.deadlineMs !== undefined ? setTimeout(() => hardStop.abort(new Error('invocation deadline')), Math.max(0, run.deadlineMs - 1_000)) : undefined;
  const pacer = o.pacer ?? createPacer(o.queriesPerSecond);
  const owner = `poll:${run.requestId}`;
  const summary: PollSummary = { claimed: 0, lost: 0, errors: 0, outcomes: {}, stoppedBy: 'idle' };
  const inflight = new Map<string, Promise<void>>();
  let crash: StepCrash | undefined;

  const start = (previous: Task, leased: Task) => {
    // every line about the task says whose it is (the tenant's name, never a key)
    const taskDeps = { ...deps, logger: deps.logger.child({ tenant: leased.tenant }) };
    const work = processClaimed(taskDeps, previous, leased, { owner, timings: t, pacer, queryTimeoutMs: o.queryTimeoutMs, signal: hardStop.signal })
      .then((outcome) => {
        summary.outcomes[outcome] = (summary.outcomes[outcome] ?? 0) + 1;
      })
      .catch(async (e: unknown) => {
        if (e instanceof StepCrash) {
          crash ??= e;
          return;
        }
        summary.errors++;
        log.error('task processing failed; it will be retried', { taskId: leased.id, tenant: leased.tenant, err: e });
        const retryAt = new Date(deps.clock.now().getTime() + retryDelayMs(t.retryBaseMs, 1, 60_000, t.random));
        await releaseAfterError(deps, leased.id, owner, retryAt).catch((err: unknown) => log.warn('could not release the lease; it will expire', { taskId: leased.id, tenant: leased.tenant, err }));
      })
      .finally(() => inflight.delete(leased.id));
    inflight.set(leased.id, work);
  };

  try {
    while (!crash) {
      if (remaining() <= 0) {
        summary.stoppedBy = 'budget';
        break;
      }
      let claimedNow = 0;
      if (inflight.size < o.concurrency) {
        // an indexed query: its cost follows the due tasks, not the history
        const due = shuffle(await deps.tasks.listDue(deps.clock.now(), o.batchSize), t.random);
        for (const task of due) {
          if (inflight.size >= o.concurrency || remaining() <= 0 || crash) break;
          if (inflight.has(task.id)) continue;
          const now = deps.clock.now();
          const leased = await deps.tasks.tryLease(task.id, owner, new Date(now.getTime() + t.leaseMs), now);
          if (!leased) {
            summary.lost++;
            continue;
          }
          summary.claimed++;
          claimedNow++;
          start(task, leased);
        }
      }
      if (claimedNow > 0 && inflight.size < o.concurrency) continue;
      if (inflight.size > 0) {
        await Promise.race([...inflight.values(), sleep(o.idleCheckMs)]);
        continue;
      }
      // Nothing to do now: wait for the next task that falls due within the budget, or stop.
      const horizon = new Date(deps.clock.now().getTime() + remaining());
      const [next] = await deps.tasks.listDue(horizon, 1);
      if (!next) break;
      // Due, or held by another poller until its lease ends: whichever comes later.
      const readyAt = Math.max(next.dueAt ? Date.parse(next.dueAt) : 0, next.leaseUntil ? Date.parse(next.leaseUntil) : 0);
      await sleep(Math.max(20, Math.min(readyAt - deps.clock.now().getTime(), o.idleCheckMs, remaining())));
    }
  } finally {
    await Promise.allSettled(inflight.values());
    if (hardTimer) clearTimeout(hardTimer);
  }
  if (crash) throw crash;
  (summary.claimed > 0 ? log.info : log.debug)('poll run done', { ...summary, ms: Math.round(performance.now() - started) });
  return summary;
}
