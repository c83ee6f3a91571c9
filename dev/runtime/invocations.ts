// Runs event invocations the way FC does, for the local runtime: an FC-like context per call, async triggers
// retried with backoff (maxAsyncRetryAttempts, default 3) then dropped with a log line; every call recorded.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../shared/log/logger.ts';
import type { FcContext } from '../../shared/runtime/fc.ts';
import type { LoadedFunction } from './functions.ts';

/** `api`: a synchronous InvokeFunction through the FC API (the rehearsal's FC API stand-in, for `npm run ops`). */
export type TriggerType = 'http' | 'timer' | 'oss' | 'eventbridge' | 'api';

export interface InvocationRecord {
  requestId: string;
  /** s.yaml resource key. */
  fn: string;
  trigger: string;
  triggerType: TriggerType;
  /** 0 on the first delivery, as FC's context.retryCount. */
  retryCount: number;
  startedAt: string;
  endedAt?: string;
  ok?: boolean;
  error?: string;
  /** The event payload (JSON) for event triggers. */
  event?: unknown;
  /** Set on the last attempt of an async delivery that failed every retry. */
  dropped?: boolean;
}

export class FunctionTimeoutError extends Error {
  override name = 'FunctionTimeoutError';
}

export interface AsyncRetryPolicy {
  /** First backoff; doubles on each retry. */
  baseDelayMs: number;
}

/** Records kept for all()/waitFor(); a long `npm start` session must not grow without bound. */
const MAX_RECORDS = 10_000;

export class Invocations {
  private readonly records: InvocationRecord[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(private readonly log: Logger, private readonly retry: AsyncRetryPolicy) {}

  /** The latest invocations (finished or running, up to 10,000), oldest first. */
  all(): readonly InvocationRecord[] {
    return this.records;
  }

  /** Resolves with the first finished record that matches, waiting up to `timeoutMs`. */
  waitFor(match: (r: InvocationRecord) => boolean, timeoutMs = 10_000): Promise<InvocationRecord> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.records.find((r) => r.endedAt !== undefined && match(r));
        if (!found) return false;
        clearTimeout(timer);
        this.waiters.delete(onChange);
        resolve(found);
        return true;
      };
      const onChange = () => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(onChange);
        reject(new Error(`no matching invocation within ${timeoutMs} ms (seen: ${this.records.map((r) => `${r.fn}/${r.trigger}#${r.retryCount}:${r.ok}`).join(', ')})`));
      }, timeoutMs);
      if (!check()) this.waiters.add(onChange);
    });
  }

  /** Records and tracks an HTTP request served by `fn` (the response is the function's own business). */
  track(fn: LoadedFunction, trigger: string, requestId: string, run: () => Promise<void>): Promise<void> {
    const record = this.start(fn.name, trigger, 'http', requestId, 0);
    // The server answers (and logs) what an HTTP function throws; most of it is a 4xx, not a failure.
    return this.follow(record, run(), false);
  }

  /** One event invocation, failing with FunctionTimeoutError past the function's timeout. */
  invoke(fn: LoadedFunction, trigger: string, triggerType: TriggerType, event: unknown, retryCount = 0): Promise<unknown> {
    return this.run(fn, trigger, triggerType, event, retryCount).done;
  }

  private run(fn: LoadedFunction, trigger: string, triggerType: TriggerType, event: unknown, retryCount: number): { record: InvocationRecord; done: Promise<unknown> } {
    const requestId = randomUUID();
    const record = this.start(fn.name, trigger, triggerType, requestId, retryCount, event);
    const timeoutMs = fn.spec.timeoutS * 1000;
    const context: FcContext = {
      requestId,
      function: { name: fn.spec.functionName, timeout: fn.spec.timeoutS, ...(fn.spec.handler ? { handler: fn.spec.handler } : {}), ...(fn.spec.memoryMb ? { memory: fn.spec.memoryMb } : {}) },
      region: 'local',
      retryCount,
      deadlineMs: timeoutMs,
    };
    let timer: NodeJS.Timeout | undefined;
    const run = Promise.race([
      Promise.resolve().then(() => fn.event!(Buffer.from(JSON.stringify(event)), context)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new FunctionTimeoutError(`${fn.name} exceeded its timeout of ${fn.spec.timeoutS} s`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    return { record, done: this.follow(record, run) };
  }

  /** An asynchronous delivery (OSS, EventBridge): retried with backoff on failure, then dropped. */
  deliver(fn: LoadedFunction, trigger: string, triggerType: TriggerType, event: unknown): void {
    const attempt = (retryCount: number): void => {
      if (this.closed) return;
      const { record, done } = this.run(fn, trigger, triggerType, event, retryCount);
      done.catch(() => {
        if (retryCount >= fn.spec.maxAsyncRetryAttempts) {
          this.log.error('async invocation dropped after retries', { fn: fn.name, trigger, attempts: retryCount + 1 });
          record.dropped = true;
          this.notify();
          return;
        }
        const delay = this.retry.baseDelayMs * 2 ** retryCount;
        const t = setTimeout(() => {
          this.retryTimers.delete(t);
          attempt(retryCount + 1);
        }, delay);
        this.retryTimers.add(t);
      });
    };
    attempt(0);
  }

  /** Stops scheduling retries and waits up to `ms` for invocations in flight; false if some were still running. */
  async drain(ms: number): Promise<boolean> {
    this.closed = true;
    for (const t of this.retryTimers) clearTimeout(t);
    if (this.retryTimers.size) this.log.warn('pending async retries dropped at shutdown', { count: this.retryTimers.size });
    this.retryTimers.clear();
    let timer: NodeJS.Timeout | undefined;
    const idle = (async () => {
      while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
      return true;
    })();
    const result = await Promise.race([idle, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
    clearTimeout(timer);
    return result;
  }

  private start(fn: string, trigger: string, triggerType: TriggerType, requestId: string, retryCount: number, event?: unknown): InvocationRecord {
    const record: InvocationRecord = { requestId, fn, trigger, triggerType, retryCount, startedAt: new Date().toISOString(), ...(event !== undefined ? { event } : {}) };
    this.records.push(record);
    if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
    return record;
  }

  private follow<T>(record: InvocationRecord, run: Promise<T>, logFailure = true): Promise<T> {
    const log = this.log.child({ fn: record.fn, requestId: record.requestId, trigger: record.trigger });
    const done = run.then(
      (v) => {
        this.finish(record, true);
        return v;
      },
      (e: unknown) => {
        this.finish(record, false, e);
        if (logFailure) log.error('invocation failed', { triggerType: record.triggerType, retryCount: record.retryCount, error: e });
        throw e;
      },
    );
    const tracked = done.catch(() => undefined);
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return done;
  }

  private finish(record: InvocationRecord, ok: boolean, error?: unknown): void {
    record.endedAt = new Date().toISOString();
    record.ok = ok;
    if (error !== undefined) record.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}
