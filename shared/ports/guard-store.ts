// GuardStore: what rate limits, budgets and the cost ledger keep, shared by every instance (Table Store in the
// cloud, SQLite locally), never in memory. Counters are rows keyed by a limit and its window; an admission
// checks and charges all of its counters in one call, all or nothing.
import type { LedgerEntry } from '../domain/ledger.ts';

/**
 * A counter row: `held` is what admissions charged (requests, tokens, or micro-CNY reserved but not yet
 * settled), `spent` what settlements recorded (micro-CNY). Admissions compare `spent + held` with the limit.
 */
export interface CounterValue {
  key: string;
  spent: number;
  held: number;
}

/** One counter an admission charges. */
export interface CounterCharge {
  /** The counter's key, its window included, e.g. `rpm|acme|qwen-plus|2026-12-03T15:46`; distinct within one admission. */
  key: string;
  /** Integer ≥ 0 added to `held`. */
  amount: number;
  /** Integer ≥ 0. */
  limit: number;
  /**
   * `fit`: admitted only if spent + held + amount ≤ limit (requests per minute: never exceeded).
   * `under`: admitted if spent + held < limit before the charge (tokens, budgets: one admission may cross
   * the limit, so concurrent admissions overshoot by at most one charge).
   */
  rule: 'fit' | 'under';
  /** When the row may be dropped (after its window ends); the store may keep it longer. */
  expiresAt: Date;
}

/** A budget reservation: admitted with its charges, held on `keys` until settled, released, or expired. */
export interface Reservation {
  /** Unique; settle() and release() name it. */
  id: string;
  /** The counters it holds `amount` on (each also charged in the same admission). */
  keys: string[];
  amount: number;
  expiresAt: Date;
}

export interface AdmissionRequest {
  charges: CounterCharge[];
  reservation?: Reservation;
}

export type AdmissionResult =
  | { admitted: true }
  /** Nothing was charged (the store took back any partial charge); `refused` is the first charge that did not fit. */
  | { admitted: false; refused: CounterCharge; current: CounterValue };

/** An amount added to a counter's `held` (may be negative: a token estimate corrected). */
export interface CounterAdjustment {
  key: string;
  amount: number;
  expiresAt: Date;
}

export interface Settlement {
  /** The reservation this settles or releases: its `held` comes off its keys, once (absent: none was made). */
  reservationId?: string;
  /** The cost to record; absent: nothing is billed (a failed or canceled call only releases its reservation). */
  entry?: LedgerEntry;
  /** Counters whose `spent` the entry's cost is added to (the budgets' day and month windows). */
  spendKeys?: { key: string; expiresAt: Date }[];
  /** Applied only when the entry is recorded now (never twice; a settlement without an entry applies none), e.g. a TPM estimate corrected. */
  adjustments?: CounterAdjustment[];
}

export interface SettleResult {
  /** True when this call recorded the entry; false when it was recorded before (nothing added again). */
  recorded: boolean;
  /** The spendKeys' `spent` before and after this call (equal when nothing was recorded now), for threshold alerts. */
  spend: { key: string; before: number; after: number }[];
}

export interface LedgerQuery {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  /** Only this tenant's entries; absent: every tenant's. */
  tenant?: string;
  /** Opaque, from the previous page's `next`. */
  cursor?: string;
  limit: number;
}

export class GuardStoreError extends Error {
  override name = 'GuardStoreError';
}

/** admit() with a reservation whose id is taken: nothing was charged (the reservation there stands). */
export class ReservationExistsError extends GuardStoreError {
  override name = 'ReservationExistsError';
  constructor(readonly reservationId: string) {
    super(`reservation ${reservationId} already exists`);
  }
}

export interface GuardStore {
  /**
   * How long after settle() is called its effect may stay unseen by admissions on other instances (ms; 0: at
   * once). Until then the call's reservation still holds its estimate.
   */
  readonly settleLagMs: number;
  /**
   * Checks every charge against its counter and, only if all pass, adds them and records the reservation, as
   * one atomic step across instances: concurrent admissions never jointly pass a `fit` limit, and pass an
   * `under` limit by at most one charge. A single store round trip on the path that admits.
   */
  admit(request: AdmissionRequest, now: Date): Promise<AdmissionResult>;
  /**
   * Records the entry once (keyed by entry.id) adding its cost to spendKeys, takes the reservation's held
   * amount off its keys once (a reservation already settled or expired is ignored), and applies the
   * adjustments if the entry was recorded now. Safe to repeat: a retried settlement changes nothing more.
   */
  settle(settlement: Settlement, now: Date): Promise<SettleResult>;
  /** Releases up to `limit` reservations whose expiresAt ≤ now (each once); returns how many it released. */
  expireReservations(now: Date, limit: number): Promise<number>;
  /** Counters as they are now (absent keys: zero). */
  read(keys: string[]): Promise<CounterValue[]>;
  /** Records that an alert was raised, once: true for the first caller with this id, false after. */
  claimAlert(id: string, now: Date): Promise<boolean>;
  /** Ledger entries with from ≤ at < to, oldest first, a page at a time. */
  listLedger(query: LedgerQuery): Promise<{ entries: LedgerEntry[]; next?: string }>;
}
