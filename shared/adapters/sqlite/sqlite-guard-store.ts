// GuardStore on SQLite (local mode): counters, reservations, the ledger and alert claims as tables of the local
// database; every method is one BEGIN IMMEDIATE transaction, so processes sharing the file stay atomic.
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
// rowid table with a TEXT key keeps the rows and the key's index apart). Files made before keep their tables as they are.
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
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  data TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS guard_ledger_at ON guard_ledger (at_ms, id);
CREATE INDEX IF NOT EXISTS guard_ledger_tenant ON guard_ledger (tenant, at_ms, id);
CREATE TABLE IF NOT EXISTS guard_alerts (
  id TEXT PRIMARY KEY,
  claimed_at TEXT NOT NULL
);
`;

/** Expired counter rows dropped per admission: enough to keep up with the windows that end, cheap on every call. */
const DROP_PER_ADMISSION = 16;

interface CounterRow {
  spent: number;
  held: number;
  expires_at: number;
}
interface ReservationRow {
  id: string;
  keys: string;
  amount: number;
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
  private readonly s: Record<
    'counter' | 'dropExpired' | 'charge' | 'extend' | 'release' | 'addSpent' | 'insertReservation' | 'reservation' | 'deleteReservation' | 'expired' | 'insertEntry' | 'claim',
    BetterSqlite3.Statement
  >;

  /** Each method's transaction, made once (wrapping a function per call costs more than some of the statements in it). */
  private readonly tx: {
    admit: BetterSqlite3.Transaction<(request: AdmissionRequest, now: Date) => AdmissionResult>;
    settle: BetterSqlite3.Transaction<(settlement: Settlement) => SettleResult>;
    expire: BetterSqlite3.Transaction<(now: Date, limit: number) => number>;
  };

  /** `db` is an open better-sqlite3 handle (shared/adapters/sqlite/database.ts); the tables are created if absent. */
  constructor(private readonly db: Database) {
    db.exec(SCHEMA);
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      counter: p('SELECT spent, held, expires_at FROM guard_counters WHERE key = ?'),
      dropExpired: p(`DELETE FROM guard_counters WHERE key IN (SELECT key FROM guard_counters WHERE expires_at <= ? LIMIT ${DROP_PER_ADMISSION})`),
      // an existing row's expires_at is left alone here and moved by `extend` only when a later expiry comes: a
      // counter's callers give the same expiry for its window, and writing the column on every charge rewrites the
      // expiry index's page in each commit (a counter costs one page written instead of two)
      charge: p(
        `INSERT INTO guard_counters (key, held, expires_at) VALUES (@key, @amount, @expires)
         ON CONFLICT (key) DO UPDATE SET held = held + @amount`,
      ),
      extend: p('UPDATE guard_counters SET expires_at = @expires WHERE key = @key AND expires_at < @expires'),
      // a released reservation's counter may already be gone with its window: nothing to take back then
      release: p('UPDATE guard_counters SET held = held - @amount WHERE key = @key'),
      addSpent: p(
        `INSERT INTO guard_counters (key, spent, expires_at) VALUES (@key, @amount, @expires)
         ON CONFLICT (key) DO UPDATE SET spent = spent + @amount`,
      ),
      insertReservation: p('INSERT INTO guard_reservations (id, keys, amount, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING'),
      reservation: p('SELECT id, keys, amount FROM guard_reservations WHERE id = ?'),
      deleteReservation: p('DELETE FROM guard_reservations WHERE id = ?'),
      expired: p('SELECT id, keys, amount FROM guard_reservations WHERE expires_at <= ? ORDER BY expires_at, id LIMIT ?'),
      insertEntry: p('INSERT INTO guard_ledger (id, tenant, at_ms, data) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING'),
      claim: p('INSERT INTO guard_alerts (id, claimed_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING'),
    };
    this.tx = {
      admit: db.transaction((request: AdmissionRequest, now: Date) => this.admitNow(request, now)),
      settle: db.transaction((settlement: Settlement) => this.settleNow(settlement)),
      expire: db.transaction((now: Date, limit: number) => {
        const rows = this.s.expired.all(now.getTime(), limit) as ReservationRow[];
        for (const row of rows) this.releaseRow(row);
        return rows.length;
      }),
    };
  }

  async admit(request: AdmissionRequest, now: Date): Promise<AdmissionResult> {
    checkAdmission(request);
    return this.tx.admit.immediate(request, now);
  }

  async settle(settlement: Settlement, _now: Date): Promise<SettleResult> {
    checkSettlement(settlement);
    return this.tx.settle.immediate(settlement);
  }

  async expireReservations(now: Date, limit: number): Promise<number> {
    return this.tx.expire.immediate(now, Math.max(0, Math.floor(limit)));
  }

  async read(keys: string[]): Promise<CounterValue[]> {
    return this.db.transaction(() => keys.map((key) => this.value(key)))();
  }

  async claimAlert(id: string, now: Date): Promise<boolean> {
    return this.s.claim.run(id, now.toISOString()).changes === 1;
  }

  async listLedger(query: LedgerQuery): Promise<{ entries: LedgerEntry[]; next?: string }> {
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

  /**
   * Adds to a counter's held (`charge`) or spent (`addSpent`), creating it; its expiry only ever moves later.
   * `before`: the row as this transaction read it (null: there was none), so the expiry is written only when it moves.
   */
  private add(statement: 'charge' | 'addSpent', key: string, amount: number, expiresAt: Date, before?: CounterRow | null): void {
    const expires = expiresAt.getTime();
    this.s[statement].run({ key, amount, expires });
    if (before === undefined || (before !== null && before.expires_at < expires)) this.s.extend.run({ key, expires });
  }

  private admitNow(request: AdmissionRequest, now: Date): AdmissionResult {
    this.s.dropExpired.run(now.getTime());
    const rows = request.charges.map((charge) => this.row(charge.key));
    for (let i = 0; i < request.charges.length; i++) {
      const charge = request.charges[i]!;
      const current = { key: charge.key, spent: rows[i]?.spent ?? 0, held: rows[i]?.held ?? 0 };
      const total = current.spent + current.held;
      const passes = charge.rule === 'fit' ? total + charge.amount <= charge.limit : total < charge.limit;
      if (!passes) return { admitted: false, refused: charge, current };
    }
    request.charges.forEach((c, i) => this.add('charge', c.key, c.amount, c.expiresAt, rows[i]));
    const r = request.reservation;
    if (r && this.s.insertReservation.run(r.id, JSON.stringify(r.keys), r.amount, r.expiresAt.getTime()).changes !== 1) {
      // thrown inside the transaction, so the charges above are rolled back with it
      throw new ReservationExistsError(r.id);
    }
    return { admitted: true };
  }

  private settleNow(settlement: Settlement): SettleResult {
    if (settlement.reservationId !== undefined) {
      const row = this.s.reservation.get(settlement.reservationId) as ReservationRow | undefined;
      if (row) this.releaseRow(row);
    }
    const entry = settlement.entry;
    const spendKeys = settlement.spendKeys ?? [];
    const recorded = entry !== undefined && this.s.insertEntry.run(entry.id, entry.tenant, ledgerTime(entry.at, entry.id), JSON.stringify(entry)).changes === 1;
    if (!recorded) {
      return {
        recorded: false,
        spend: spendKeys.map(({ key }) => {
          const { spent } = this.value(key);
          return { key, before: spent, after: spent };
        }),
      };
    }
    const spend = spendKeys.map(({ key, expiresAt }) => {
      const row = this.row(key);
      const before = row?.spent ?? 0;
      this.add('addSpent', key, entry.costMicros, expiresAt, row);
      return { key, before, after: before + entry.costMicros };
    });
    for (const a of settlement.adjustments ?? []) this.add('charge', a.key, a.amount, a.expiresAt);
    return { recorded: true, spend };
  }

  private row(key: string): CounterRow | null {
    return (this.s.counter.get(key) as CounterRow | undefined) ?? null;
  }

  private value(key: string): CounterValue {
    const row = this.row(key);
    return { key, spent: row?.spent ?? 0, held: row?.held ?? 0 };
  }

  /** Deletes the reservation and takes its amount off its keys; the caller's transaction makes it once. */
  private releaseRow(row: ReservationRow): void {
    const keys = reservationKeys(row);
    this.s.deleteReservation.run(row.id);
    for (const key of keys) this.s.release.run({ key, amount: row.amount });
  }
}
