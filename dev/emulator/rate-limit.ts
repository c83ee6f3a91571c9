// DashScope's throttles: per-model RPM (sliding 60 s) and TPM (per minute), image/video submits per second,
// and the account-wide 20 QPS on task query/list/cancel. 429s carry no Retry-After, like DashScope's.
import type { Model } from '../../shared/catalog/catalog.ts';
import { ApiError, MESSAGES } from './errors.ts';
import type { RateLimitOverride } from './options.ts';

/** At most `limit` events in any `windowMs`; O(1) per check (ring of the last `limit` admissions). */
export class SlidingWindow {
  private readonly stamps: Float64Array;
  private head = 0;
  constructor(
    readonly limit: number,
    private readonly windowMs: number,
  ) {
    this.stamps = new Float64Array(Math.max(1, Math.min(limit, 1_000_000))).fill(-Infinity);
  }
  tryTake(now: number): boolean {
    if (this.limit === Infinity) return true;
    if (this.limit <= 0) return false;
    if (this.stamps[this.head]! > now - this.windowMs) return false;
    this.stamps[this.head] = now;
    this.head = (this.head + 1) % this.stamps.length;
    return true;
  }
}

export interface ModelLimits {
  rpm: number;
  tpm: number;
  submitsPerSecond: number;
  concurrentTasks: number;
}

export function limitsFor(model: Model, overrides: Record<string, RateLimitOverride>): ModelLimits {
  const base: ModelLimits = { rpm: Infinity, tpm: Infinity, submitsPerSecond: Infinity, concurrentTasks: Infinity };
  const l = model.limits as Partial<ModelLimits>;
  Object.assign(base, Object.fromEntries(Object.entries(l).filter(([, v]) => typeof v === 'number')));
  const o = overrides[model.id] ?? overrides['*'];
  if (typeof o === 'number') base.rpm = o;
  else if (o) Object.assign(base, Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'number')));
  return base;
}

const rateQuota = () => new ApiError('rateQuota', MESSAGES.rateQuota);

export class RateLimiter {
  private readonly rpm = new Map<string, SlidingWindow>();
  private readonly rps = new Map<string, SlidingWindow>();
  private readonly tpm = new Map<string, { minute: number; used: number }>();
  private queries: SlidingWindow;

  constructor(
    private readonly overrides: Record<string, RateLimitOverride>,
    queryQps: number,
    // real time, not the emulator clock: these guard request rates, which a sped-up clock must not loosen
    private readonly now: () => number = Date.now,
  ) {
    this.queries = new SlidingWindow(queryQps, 1_000);
  }

  limits(model: Model): ModelLimits {
    return limitsFor(model, this.overrides);
  }

  /** RPM then TPM for a chat/embedding/speech call estimated at `tokens`; throws the 429 DashScope sends. */
  admit(model: Model, tokens = 0): void {
    const lim = this.limits(model);
    const now = this.now();
    if (!window(this.rpm, model.id, lim.rpm, 60_000).tryTake(now)) throw rateQuota();
    if (lim.tpm === Infinity || tokens <= 0) return;
    const minute = Math.floor(now / 60_000);
    let t = this.tpm.get(model.id);
    if (!t || t.minute !== minute) this.tpm.set(model.id, (t = { minute, used: 0 }));
    if (t.used + tokens > lim.tpm) {
      throw new ApiError('allocationQuota', MESSAGES.allocationQuotaNative, { compatMessage: MESSAGES.allocationQuotaCompat });
    }
    t.used += tokens;
  }

  /** Counts tokens produced after admission (completion tokens) against the minute's TPM. */
  charge(model: Model, tokens: number): void {
    const t = this.tpm.get(model.id);
    if (t && t.minute === Math.floor(this.now() / 60_000)) t.used += tokens;
  }

  /** Image/video task submits per second. */
  admitSubmit(model: Model): void {
    const lim = this.limits(model);
    if (!window(this.rps, model.id, lim.submitsPerSecond, 1_000).tryTake(this.now())) throw rateQuota();
  }

  /** The account-wide cap on task query, list and cancel. */
  admitTaskQuery(): void {
    if (!this.queries.tryTake(this.now())) throw rateQuota();
  }

  /** Forgets every window (emulator reset). */
  clear(): void {
    this.rpm.clear();
    this.rps.clear();
    this.tpm.clear();
    this.queries = new SlidingWindow(this.queries.limit, 1_000);
  }
}

function window(map: Map<string, SlidingWindow>, key: string, limit: number, windowMs: number): SlidingWindow {
  let w = map.get(key);
  if (!w || w.limit !== limit) map.set(key, (w = new SlidingWindow(limit, windowMs)));
  return w;
}
