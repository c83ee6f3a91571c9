// GuardStore on SQLite (local mode): counters, reservations, the ledger and alert claims as tables of the local
// database; every write is in a BEGIN IMMEDIATE transaction, so processes sharing the file stay atomic. Settlements
// wait a few milliseconds and are written together, one commit for many calls.
import type BetterSqlite3 from 'better-sqlite3';
import type { LedgerEntry } from '../../domain/ledger.ts';
import {
  GuardStoreError,
  ReservationExistsError,
  type AdmissionRequest,
  type AdmissionResult,
  type CounterValue,
  type GuardStore,
  type LedgerQuery,
  type Settlement,
  type SettleResult,
} from '../../ports/guard-store.ts';
import { checkAdmission, checkSettlement, decodeLedgerCursor, encodeLedgerCursor, ledgerTime, parseLedgerEntry } from '../guard-rows.ts';
import type { Database } from './database.ts';

// WITHOUT ROWID: each table is its primary key's b-tree, so a row written is one b-tree fewer in every commit (a
// rowid table with a TEXT key keeps the rows and the key's index apart). Not the ledger: its ids are random, and
// its rows are large, so they are appended in rowid order and only the narrow id index takes random inserts
// (a WITHOUT ROWID ledger dirties a random leaf of whole rows per entry, slower as it grows). Files made before
// keep their tables as they are.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS guard_counters (
  key TEXT PRIMARY KEY,
  spent INTEGER NOT NULL DEFAULT 0,
  held INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS guard_counters_expiry ON guard_counters (expires_at);
CREATE TABLE IF NOT EXISTS guard_reservations (
  id TEXT PRIMARY KEY,
  keys TEXT NOT NULL,
  amount INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS guard_reservations_expiry ON guard_reservations (expires_at, id);
CREATE TABLE IF NOT EXISTS guard_ledger (
  id TEXT NOT NULL UNIQUE,
  tenant TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS guard_ledger_at ON guard_ledger (at_ms, id);
CREATE INDEX IF NOT EXISTS guard_ledger_tenant ON guard_ledger (tenant, at_ms, id);
CREATE TABLE IF NOT EXISTS guard_alerts (
  id TEXT PRIMARY KEY,
  claimed_at TEXT NOT NULL
);
`;

/**
 * How long a settlement waits for others to be written with (ms). While it waits its reservation still holds the
 * estimate, so every limit and budget errs on the safe side; readers in this process write it first, and so does
 * closing the database (local deps).
 */
export const SETTLE_DELAY_MS = 10;
/** Settlements written together at most: this many waiting are written on the next turn of the event loop. */
export const SETTLE_BATCH = 64;

/** Expired counter rows dropped at a time, at most every DROP_EVERY_MS per process: enough to keep up with the windows that end. */
const DROP_PER_ADMISSION = 64;
const DROP_EVERY_MS = 250;

interface Pending {
  settlement: Settlement;
  resolve: (r: SettleResult) => void;
  reject: (e: unknown) => void;
}
type Outcome<T> = { ok: T } | { error: unknown };

interface ChargedRow {
  spent: number;
  held: number;
  expires_at: number;
}
interface ReservationRow {
  id: string;
  keys: string;
  amount: number;
}

/** Thrown inside an admission's transaction to roll back the charges it made before the one that did not pass. */
class Refusal {
  constructor(readonly result: AdmissionResult) {}
}

function answer(batch: Pending[], outcomes: Outcome<SettleResult>[]): void {
  batch.forEach((p, i) => {
    const o = outcomes[i]!;
    if ('ok' in o) p.resolve(o.ok);
    else p.reject(o.error);
  });
}

function reservationKeys(row: ReservationRow): string[] {
  try {
    const keys: unknown = JSON.parse(row.keys);
    if (Array.isArray(keys) && keys.every((k) => typeof k === 'string')) return keys;
  } catch {
    // reported below
  }
  throw new GuardStoreError(`reservation ${row.id}: stored keys are malformed`);
}

export class SqliteGuardStore implements GuardStore {
  readonly settleLagMs = SETTLE_DELAY_MS;

  private readonly s: Record<
    'counter' | 'dropExpired' | 'charge' | 'extend' | 'release' | 'settleKey' | 'insertReservation' | 'takeReservation' | 'expired' | 'insertEntry' | 'claim',
    BetterSqlite3.Statement
  >;

  /** When this process last dropped expired counters (ms). */
  private droppedAt = 0;

  /** Settlements waiting to be written together when the timer fires (or a reader or the batch size asks). */
  private pending: Pending[] = [];
  private flushTimer: NodeJS.Timeout | undefined;

  /** Each method's transaction, made once (wrapping a function per call costs more than some of the statements in it). */
  private readonly tx: {
    admit: BetterSqlite3.Transaction<(request: AdmissionRequest, now: Date) => AdmissionResult>;
    settle: BetterSqlite3.Transaction<(settlement: Settlement) => SettleResult>;
    settleMany: BetterSqlite3.Transaction<(settlements: Settlement[]) => Outcome<SettleResult>[]>;
    expire: BetterSqlite3.Transaction<(now: Date, limit: number) => number>;
  };

  /** `db` is an open better-sqlite3 handle (shared/adapters/sqlite/database.ts); the tables are created if absent. */
  constructor(private readonly db: Database) {
    db.exec(SCHEMA);
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      counter: p('SELECT spent, held FROM guard_counters WHERE key = ?'),
      dropExpired: p(`DELETE FROM guard_counters WHERE key IN (SELECT key FROM guard_counters WHERE expires_at <= ? LIMIT ${DROP_PER_ADMISSION})`),
      // one statement per counter: charged, and the row as it is after, so the check needs no read of its own. An
      // existing row's expires_at is left alone and moved by `extend` only when a later expiry comes: a counter's
      // callers give the same expiry for its window, and writing the column on every charge rewrites the expiry
      // index's page in each commit.
      charge: p(
        `INSERT INTO guard_counters (key, held, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET held = held + excluded.held RETURNING spent, held, expires_at`,
      ),
      extend: p('UPDATE guard_counters SET expires_at = ? WHERE key = ?'),
      // a released reservation's counter may already be gone with its window: nothing to take back then
      release: p('UPDATE guard_counters SET held = held - ? WHERE key = ?'),
      // a settled cost added to spent and the reservation taken off held, in one write: key, cost, expires, released
      settleKey: p(
        `INSERT INTO guard_counters (key, spent, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET spent = spent + excluded.spent, held = held - ? RETURNING spent, expires_at`,
      ),
      insertReservation: p('INSERT INTO guard_reservations (id, keys, amount, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING'),
      takeReservation: p('DELETE FROM guard_reservations WHERE id = ? RETURNING id, keys, amount'),
      expired: p('SELECT id, keys, amount FROM guard_reservations WHERE expires_at <= ? ORDER BY expires_at, id LIMIT ?'),
      insertEntry: p('INSERT INTO guard_ledger (id, tenant, at_ms, data) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING'),
      claim: p('INSERT INTO guard_alerts (id, claimed_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING'),
    };
    this.tx = {
      admit: db.transaction((request: AdmissionRequest, now: Date) => this.admitNow(request, now)),
      settle: db.transaction((settlement: Settlement) => this.settleNow(settlement)),
      // each settlement in a savepoint of its own (tx.settle called inside a transaction is a SAVEPOINT)
      settleMany: db.transaction((settlements: Settlement[]) => settlements.map((one) => this.inSavepoint(() => this.tx.settle(one)))),
      expire: db.transaction((now: Date, limit: number) => {
        const rows = this.s.expired.all(now.getTime(), limit) as ReservationRow[];
        for (const row of rows) this.releaseRow(this.s.takeReservation.get(row.id) as ReservationRow);
        return rows.length;
      }),
    };
  }

  async admit(request: AdmissionRequest, now: Date): Promise<AdmissionResult> {
    checkAdmission(request);
    try {
      return this.tx.admit.immediate(request, now);
    } catch (e) {
      if (e instanceof Refusal) return e.result;
      throw e;
    }
  }

  /**
   * Waits up to SETTLE_DELAY_MS and is written with every settlement asked for meanwhile in one transaction (each
   * in a savepoint of its own, so one that fails fails alone; SETTLE_BATCH waiting are written at once): one
   * commit for many calls, and fewer requests find the event loop busy with the ledger. Resolves once written.
   */
  async settle(settlement: Settlement, _now: Date): Promise<SettleResult> {
    checkSettlement(settlement);
    return new Promise<SettleResult>((resolve, reject) => {
      this.pending.push({ settlement, resolve, reject });
      if (this.pending.length === 1) this.flushTimer = setTimeout(() => this.flushSettlements(), SETTLE_DELAY_MS);
      else if (this.pending.length === SETTLE_BATCH) setImmediate(() => this.flushSettlements());
    });
  }

  /** Writes the settlements still waiting now (readers first, and before the database is closed). */
  flushSettlements(): void {
    const batch = this.takePending();
    if (batch.length === 0) return;
    if (batch.length === 1) {
      // alone: its own transaction, rolled back whole if it fails
      this.settleAlone(batch);
      return;
    }
    let outcomes: Outcome<SettleResult>[];
    try {
      outcomes = this.tx.settleMany.immediate(batch.map((p) => p.settlement));
    } catch {
      // the batch's transaction is gone as a whole (SQLite aborted it: disk full, I/O): each is written alone
      this.settleAlone(batch);
      return;
    }
    answer(batch, outcomes);
  }

  private takePending(): Pending[] {
    if (this.pending.length === 0) return [];
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    return this.pending.splice(0);
  }

  /** Each settlement in a transaction of its own. */
  private settleAlone(batch: Pending[]): void {
    answer(batch, batch.map((p) => this.attempt(() => this.tx.settle.immediate(p.settlement))));
  }

  private attempt<T>(work: () => T): Outcome<T> {
    try {
      return { ok: work() };
    } catch (error) {
      return { error };
    }
  }

  /**
   * Runs a nested transaction function (a SAVEPOINT): its error undoes its own writes only. An error that ended the
   * whole transaction is thrown on, so nothing more is written outside it and the caller retries each alone.
   */
  private inSavepoint<T>(work: () => T): Outcome<T> {
    try {
      return { ok: work() };
    } catch (error) {
      if (!this.db.inTransaction) throw error;
      return { error };
    }
  }

  async expireReservations(now: Date, limit: number): Promise<number> {
    this.flushSettlements();
    return this.tx.expire.immediate(now, Math.max(0, Math.floor(limit)));
  }

  // readers in this process see every settlement asked for before them: the waiting ones are written first
  async read(keys: string[]): Promise<CounterValue[]> {
    this.flushSettlements();
    return this.db.transaction(() => keys.map((key) => this.value(key)))();
  }

  async claimAlert(id: string, now: Date): Promise<boolean> {
    return this.s.claim.run(id, now.toISOString()).changes === 1;
  }

  async listLedger(query: LedgerQuery): Promise<{ entries: LedgerEntry[]; next?: string }> {
    this.flushSettlements();
    const n = Math.max(1, Math.floor(query.limit));
    const after = query.cursor === undefined ? undefined : decodeLedgerCursor(query.cursor);
    // each clause present only when used, so SQLite walks guard_ledger_at or guard_ledger_tenant from the cursor
    const where = ['at_ms >= @from', 'at_ms < @to', query.tenant !== undefined ? 'tenant = @tenant' : '', after ? '(at_ms, id) > (@a, @i)' : ''].filter(Boolean);
    const rows = this.db
      .prepare(`SELECT id, at_ms, data FROM guard_ledger WHERE ${where.join(' AND ')} ORDER BY at_ms, id LIMIT @n`)
      .all({
        from: query.from.getTime(),
        to: query.to.getTime(),
        ...(query.tenant !== undefined ? { tenant: query.tenant } : {}),
        ...(after ? { a: after.atMs, i: after.id } : {}),
        n: n + 1,
      }) as { id: string; at_ms: number; data: string }[];
    const page = rows.slice(0, n);
    const last = page[page.length - 1];
    return { entries: page.map((r) => parseLedgerEntry(r.data)), ...(rows.length > n && last ? { next: encodeLedgerCursor(last.at_ms, last.id) } : {}) };
  }

  /** Moves a counter's expiry later when `expires` is past the one it has (`stored`). */
  private extendTo(key: string, stored: number, expires: number): void {
    if (stored < expires) this.s.extend.run(expires, key);
  }

  private admitNow(request: AdmissionRequest, now: Date): AdmissionResult {
    const nowMs = now.getTime();
    if (nowMs - this.droppedAt >= DROP_EVERY_MS || nowMs < this.droppedAt) {
      this.droppedAt = nowMs;
      this.s.dropExpired.run(nowMs);
    }
    for (const charge of request.charges) {
      const expires = charge.expiresAt.getTime();
      const after = this.s.charge.get(charge.key, charge.amount, expires) as ChargedRow;
      const total = after.spent + after.held;
      const passes = charge.rule === 'fit' ? total <= charge.limit : total - charge.amount < charge.limit;
      // thrown inside the transaction, so the charges made before this one are rolled back with it
      if (!passes) throw new Refusal({ admitted: false, refused: charge, current: { key: charge.key, spent: after.spent, held: after.held - charge.amount } });
      this.extendTo(charge.key, after.expires_at, expires);
    }
    const r = request.reservation;
    if (r && this.s.insertReservation.run(r.id, JSON.stringify(r.keys), r.amount, r.expiresAt.getTime()).changes !== 1) {
      throw new ReservationExistsError(r.id);
    }
    return { admitted: true };
  }

  private settleNow(settlement: Settlement): SettleResult {
    const row = settlement.reservationId === undefined ? undefined : (this.s.takeReservation.get(settlement.reservationId) as ReservationRow | undefined);
    const held = row ? reservationKeys(row) : [];
    const entry = settlement.entry;
    const spendKeys = settlement.spendKeys ?? [];
    const recorded = entry !== undefined && this.s.insertEntry.run(entry.id, entry.tenant, ledgerTime(entry.at, entry.id), JSON.stringify(entry)).changes === 1;
    if (!recorded) {
      if (row) for (const key of held) this.s.release.run(row.amount, key);
      return {
        recorded: false,
        spend: spendKeys.map(({ key }) => {
          const { spent } = this.value(key);
          return { key, before: spent, after: spent };
        }),
      };
    }
    // each spend key gets the cost and gives back what the reservation held on it in one write; the reservation's
    // other keys are only released
    const released = new Set<string>();
    const spend = spendKeys.map(({ key, expiresAt }) => {
      const expires = expiresAt.getTime();
      const back = row && held.includes(key) ? row.amount : 0;
      if (back) released.add(key);
      const after = this.s.settleKey.get(key, entry.costMicros, expires, back) as { spent: number; expires_at: number };
      this.extendTo(key, after.expires_at, expires);
      return { key, before: after.spent - entry.costMicros, after: after.spent };
    });
    if (row) for (const key of held) if (!released.has(key)) this.s.release.run(row.amount, key);
    for (const a of settlement.adjustments ?? []) {
      const expires = a.expiresAt.getTime();
      const after = this.s.charge.get(a.key, a.amount, expires) as ChargedRow;
      this.extendTo(a.key, after.expires_at, expires);
    }
    return { recorded: true, spend };
  }

  private value(key: string): CounterValue {
    const row = this.s.counter.get(key) as { spent: number; held: number } | undefined;
    return { key, spent: row?.spent ?? 0, held: row?.held ?? 0 };
  }

  /** Takes a reservation's amount off its keys (its row already deleted); the caller's transaction makes it once. */
  private releaseRow(row: ReservationRow): void {
    for (const key of reservationKeys(row)) this.s.release.run(row.amount, key);
  }
}
