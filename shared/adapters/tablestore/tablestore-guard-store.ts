// GuardStore on Table Store, which has no transactions: an admission increments its counters (and puts its
// reservation) in one BatchWriteRow, reads the values after from the answer, and takes back what it added when a check
// fails; exactly-once steps (a ledger entry, a release, an alert) are conditional puts and deletes. Tables: guard-tables.ts.
//
//   counters      pk (key)            held, spent: atomic counters; TTL 40 days after the last change
//   reservations  pk (id)             keys (JSON), amount, expires_at; index (expires_at, id) for expireReservations
//   ledger        pk (month, at_id)   month `YYYY-MM`, at_id `<ISO time>#<entry id>`: a time range is a range read
//   claims        pk (id)             `ledger:<entry id>` (recorded once, with where its ledger row is), `alert:<id>`
import { randomUUID } from 'node:crypto';
import type { LedgerEntry } from '../../domain/ledger.ts';
import {
  GuardStoreError,
  ReservationExistsError,
  type AdmissionRequest,
  type AdmissionResult,
  type CounterCharge,
  type CounterValue,
  type GuardStore,
  type LedgerQuery,
  type Settlement,
  type SettleResult,
} from '../../ports/guard-store.ts';
import { checkAdmission, checkSettlement, decodeLedgerCursor, encodeLedgerCursor, ledgerTime, parseLedgerEntry } from '../guard-rows.ts';
import type { GuardTableNames } from './guard-tables.ts';
import { INF_MIN, OtsError, type BatchWrite, type BatchWriteResult, type Columns, type PrimaryKey, type Row, type TablestoreClient } from './tablestore-client.ts';
import { mapLimited } from './map-limited.ts';

/** Reservations released at once by expireReservations. */
const RELEASE_CONCURRENCY = 16;
/** Most rows one GetRange answers. */
const MAX_RANGE_ROWS = 5000;
/** Ledger rows read per GetRange when a tenant filter may skip many. */
const FILTERED_PAGE = 500;
/** Times a claim whose answer was lost is read back and, if it did not land, sent again. */
const CLAIM_ATTEMPTS = 3;

function storeError(e: unknown, what: string): GuardStoreError {
  if (e instanceof GuardStoreError) return e;
  return new GuardStoreError(`${what}: ${e instanceof OtsError ? `${e.code} ${e.message}` : String(e)}`, { cause: e });
}

function integer(v: unknown, what: string): number {
  if (typeof v !== 'bigint' || v !== BigInt(Number(v))) throw new GuardStoreError(`${what} is not a stored integer`);
  return Number(v);
}

/** A counter's columns as an answer or a row gives them; absent columns are zero. */
function counterOf(key: string, columns: Columns | undefined): CounterValue {
  return { key, spent: columns?.['spent'] === undefined ? 0 : integer(columns['spent'], `counter ${key}: spent`), held: columns?.['held'] === undefined ? 0 : integer(columns['held'], `counter ${key}: held`) };
}

const iso = (ms: number) => new Date(ms).toISOString();
const monthOf = (ms: number) => iso(ms).slice(0, 7);
const nextMonth = (ms: number) => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};


export class TablestoreGuardStore implements GuardStore {
  /** Each settlement is written when asked for. */
  readonly settleLagMs = 0;

  constructor(
    private readonly client: TablestoreClient,
    private readonly tables: GuardTableNames,
  ) {}

  async admit(request: AdmissionRequest, _now: Date): Promise<AdmissionResult> {
    checkAdmission(request);
    const { charges, reservation: r } = request;
    if (charges.length === 0 && !r) return { admitted: true };
    // spent is incremented by 0 so that the answer carries it too: RT_AFTER_MODIFY returns incremented counters only
    const writes: BatchWrite[] = charges.map((c) => this.counterChange(c.key, { held: BigInt(c.amount), spent: 0n }, 'IGNORE'));
    if (r) {
      const columns = { keys: JSON.stringify(r.keys), amount: BigInt(r.amount), expires_at: BigInt(r.expiresAt.getTime()) };
      writes.push({ table: this.tables.reservations, pk: [['id', r.id]], put: columns, condition: { row: 'EXPECT_NOT_EXIST' } });
    }
    // an outcome lost on the way leaves whatever landed held until its window ends: the side that never overspends
    const results = await this.client.batchWriteRow(writes).catch((e: unknown) => Promise.reject(storeError(e, 'admission')));
    let failure: GuardStoreError | undefined;
    let refusal: { refused: CounterCharge; current: CounterValue } | undefined;
    charges.forEach((c, i) => {
      const result = results[i]!;
      if (!result.ok) {
        failure ??= storeError(result.error, `charging ${c.key}`);
        return;
      }
      const after = counterOf(c.key, result.row?.columns);
      if (result.row?.columns['held'] === undefined || result.row.columns['spent'] === undefined) failure ??= new GuardStoreError(`charging ${c.key}: the answer lacks the counter's values`);
      const total = after.spent + after.held;
      const passes = c.rule === 'fit' ? total <= c.limit : total - c.amount < c.limit;
      if (!passes && !refusal) refusal = { refused: c, current: { key: c.key, spent: after.spent, held: after.held - c.amount } };
    });
    const put = r ? results[charges.length]! : undefined;
    if (put && !put.ok) failure ??= put.error?.conditionFailed ? new ReservationExistsError(r!.id) : storeError(put.error, `reserving ${r!.id}`);
    if (!refusal && !failure) return { admitted: true };
    await this.takeBack(request, results);
    if (failure) throw failure;
    return { admitted: false, ...refusal! };
  }

  async settle(settlement: Settlement, _now: Date): Promise<SettleResult> {
    checkSettlement(settlement);
    const [, result] = await Promise.all([settlement.reservationId !== undefined ? this.release(settlement.reservationId) : undefined, this.record(settlement)]);
    return result;
  }

  async expireReservations(now: Date, limit: number): Promise<number> {
    const n = Math.floor(limit);
    if (!(n > 0)) return 0;
    const ids: string[] = [];
    let start: PrimaryKey | undefined = [['expires_at', INF_MIN], ['id', INF_MIN]];
    while (start && ids.length < n) {
      const page: { rows: Row[]; next?: PrimaryKey } = await this.client
        .getRange(this.tables.reservationExpiryIndex, { start, end: [['expires_at', BigInt(now.getTime()) + 1n], ['id', INF_MIN]], limit: Math.min(MAX_RANGE_ROWS, n - ids.length) })
        .catch((e: unknown) => Promise.reject(storeError(e, 'listing expired reservations')));
      ids.push(...page.rows.map((row) => String(row.key['id'])));
      start = page.next;
    }
    // the index trails its table: an entry of a reservation already released finds no row and is skipped
    const released = await mapLimited(ids, RELEASE_CONCURRENCY, (id) => this.release(id, now));
    return released.filter(Boolean).length;
  }

  async read(keys: string[]): Promise<CounterValue[]> {
    return Promise.all(
      keys.map(async (key) => {
        const row = await this.client.getRow(this.tables.counters, [['key', key]], ['held', 'spent']).catch((e: unknown) => Promise.reject(storeError(e, `reading ${key}`)));
        return counterOf(key, row?.columns);
      }),
    );
  }

  async claimAlert(id: string, now: Date): Promise<boolean> {
    return this.claim(`alert:${id}`, { claimed_at: now.toISOString() });
  }

  async listLedger(query: LedgerQuery): Promise<{ entries: LedgerEntry[]; next?: string }> {
    const n = Math.max(1, Math.floor(query.limit));
    const after = query.cursor === undefined ? undefined : decodeLedgerCursor(query.cursor);
    const from = query.from.getTime();
    const to = query.to.getTime();
    const afterKey = after && `${iso(after.atMs)}#${after.id}`;
    // every at_id of the range's months sorts at or after iso(from) (or the cursor) and before iso(to)
    const start = afterKey ?? iso(from);
    const end = iso(to);
    const found: { entry: LedgerEntry; atMs: number }[] = [];
    for (let month = Date.parse(`${monthOf(Math.max(from, after?.atMs ?? from))}-01T00:00:00Z`); month < to && found.length <= n; month = nextMonth(month)) {
      if (start >= end) break;
      let next: string | undefined = start;
      while (next !== undefined && found.length <= n) {
        const page: { rows: Row[]; next?: PrimaryKey } = await this.client
          .getRange(this.tables.ledger, { start: [['month', monthOf(month)], ['at_id', next]], end: [['month', monthOf(month)], ['at_id', end]], limit: query.tenant ? FILTERED_PAGE : Math.min(MAX_RANGE_ROWS, n + 2) })
          .catch((e: unknown) => Promise.reject(storeError(e, 'listing the ledger')));
        for (const row of page.rows) {
          if (row.key['at_id'] === afterKey) continue;
          if (query.tenant !== undefined && row.columns['tenant'] !== query.tenant) continue;
          const entry = parseLedgerEntry(String(row.columns['entry']));
          found.push({ entry, atMs: ledgerTime(entry.at, entry.id) });
          if (found.length > n) break;
        }
        const nextKey = page.next?.find(([name]: [string, unknown]) => name === 'at_id')?.[1];
        next = typeof nextKey === 'string' ? nextKey : undefined;
      }
    }
    const entries = found.slice(0, n);
    const last = entries[entries.length - 1];
    return { entries: entries.map((f) => f.entry), ...(found.length > n && last ? { next: encodeLedgerCursor(last.atMs, last.entry.id) } : {}) };
  }

  /** Records the entry once (its claim), then its ledger row and the counters; spend before and after. */
  private async record(s: Settlement): Promise<SettleResult> {
    const spendKeys = (s.spendKeys ?? []).map((k) => k.key);
    const entry = s.entry;
    if (!entry) return { recorded: false, spend: await this.unchanged(spendKeys) };
    const atMs = ledgerTime(entry.at, entry.id);
    const ledgerRow = { month: monthOf(atMs), at_id: `${iso(atMs)}#${entry.id}`, tenant: entry.tenant, entry: JSON.stringify(entry) };
    if (!(await this.claim(`ledger:${entry.id}`, ledgerRow))) {
      await this.healLedgerRow(entry.id);
      return { recorded: false, spend: await this.unchanged(spendKeys) };
    }
    // one change per counter: an atomic counter takes one operation per row of a batch
    const changes = new Map<string, { spent: bigint; held: bigint }>();
    for (const k of spendKeys) changes.set(k, { spent: BigInt(entry.costMicros), held: 0n });
    for (const a of s.adjustments ?? []) changes.set(a.key, { spent: changes.get(a.key)?.spent ?? 0n, held: BigInt(a.amount) });
    const keys = [...changes.keys()];
    const writes: BatchWrite[] = [
      { table: this.tables.ledger, pk: [['month', ledgerRow.month], ['at_id', ledgerRow.at_id]], put: { tenant: ledgerRow.tenant, entry: ledgerRow.entry }, condition: { row: 'IGNORE' } },
      ...keys.map((k) => this.counterChange(k, changes.get(k)!, 'IGNORE')),
    ];
    const results = await this.client.batchWriteRow(writes).catch((e: unknown) => Promise.reject(storeError(e, `recording ${entry.id}`)));
    const failed = results.find((r) => !r.ok);
    if (failed) throw storeError(failed.error, `recording ${entry.id}`);
    const after = new Map(keys.map((k, i) => [k, counterOf(k, results[i + 1]!.row?.columns)]));
    return { recorded: true, spend: spendKeys.map((key) => ({ key, before: after.get(key)!.spent - entry.costMicros, after: after.get(key)!.spent })) };
  }

  /** Rewrites the ledger row a claim names (idempotent): heals a recording that stopped between claim and row. */
  private async healLedgerRow(entryId: string): Promise<void> {
    const claim = await this.client.getRow(this.tables.claims, [['id', `ledger:${entryId}`]]).catch((e: unknown) => Promise.reject(storeError(e, `reading the claim of ${entryId}`)));
    const c = claim?.columns;
    if (typeof c?.['month'] !== 'string' || typeof c['at_id'] !== 'string' || typeof c['tenant'] !== 'string' || typeof c['entry'] !== 'string') return;
    await this.client
      .putRow(this.tables.ledger, [['month', c['month']], ['at_id', c['at_id']]], { tenant: c['tenant'], entry: c['entry'] }, { row: 'IGNORE' })
      .catch((e: unknown) => Promise.reject(storeError(e, `rewriting the ledger row of ${entryId}`)));
  }

  private async unchanged(keys: string[]): Promise<SettleResult['spend']> {
    return (await this.read(keys)).map((v) => ({ key: v.key, before: v.spent, after: v.spent }));
  }

  /**
   * Releases a reservation once: whoever deletes its row takes its amount off its keys. A delete whose answer is lost
   * counts as not released here, so the amount may stay held until its window ends, never come off twice.
   */
  private async release(id: string, expiredBy?: Date): Promise<boolean> {
    const row = await this.client.getRow(this.tables.reservations, [['id', id]]).catch((e: unknown) => Promise.reject(storeError(e, `reading reservation ${id}`)));
    if (!row) return false;
    const amount = integer(row.columns['amount'], `reservation ${id}: amount`);
    if (expiredBy && integer(row.columns['expires_at'], `reservation ${id}: expires_at`) > expiredBy.getTime()) return false;
    let keys: unknown;
    try {
      keys = JSON.parse(String(row.columns['keys']));
    } catch {
      keys = undefined;
    }
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new GuardStoreError(`reservation ${id}: stored keys are malformed`);
    try {
      await this.client.deleteRow(this.tables.reservations, [['id', id]], { row: 'EXPECT_EXIST' });
    } catch (e) {
      if (e instanceof OtsError && (e.conditionFailed || e.ambiguous)) return false;
      throw storeError(e, `releasing reservation ${id}`);
    }
    if (keys.length === 0 || amount === 0) return true;
    // a counter already gone with its window has nothing to take back: EXPECT_EXIST keeps it from coming back negative
    const results = await this.client
      .batchWriteRow(keys.map((k: string) => this.counterChange(k, { held: BigInt(-amount) }, 'EXPECT_EXIST')))
      .catch((e: unknown) => Promise.reject(storeError(e, `releasing reservation ${id}`)));
    const failed = results.find((r) => !r.ok && !r.error?.conditionFailed);
    if (failed) throw storeError(failed.error, `releasing reservation ${id}`);
    return true;
  }

  /** Takes back what a refused or failed admission added: its increments and its reservation. */
  private async takeBack(request: AdmissionRequest, results: BatchWriteResult[]): Promise<void> {
    const undo: BatchWrite[] = request.charges.flatMap((c, i) => (results[i]!.ok && c.amount !== 0 ? [this.counterChange(c.key, { held: BigInt(-c.amount) }, 'IGNORE')] : []));
    const r = request.reservation;
    if (r && results[request.charges.length]!.ok) undo.push({ table: this.tables.reservations, pk: [['id', r.id]], delete: true, condition: { row: 'IGNORE' } });
    if (undo.length === 0) return;
    const back = await this.client.batchWriteRow(undo).catch((e: unknown) => Promise.reject(storeError(e, 'taking back a refused admission')));
    const failed = back.find((b) => !b.ok);
    if (failed) throw storeError(failed.error, 'taking back a refused admission');
  }

  /**
   * Puts a once-only row: true for the caller whose put created it. A put whose answer was lost is settled by reading
   * the row back and comparing the token this call wrote.
   */
  private async claim(id: string, columns: Columns): Promise<boolean> {
    const token = randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.putRow(this.tables.claims, [['id', id]], { ...columns, token }, { row: 'EXPECT_NOT_EXIST' });
        return true;
      } catch (e) {
        if (!(e instanceof OtsError) || !(e.conditionFailed || e.ambiguous)) throw storeError(e, `claiming ${id}`);
        const row: Row | undefined = await this.client.getRow(this.tables.claims, [['id', id]], ['token']).catch((re: unknown) => Promise.reject(storeError(re, `reading claim ${id}`)));
        if (row) return row.columns['token'] === token;
        if (attempt >= CLAIM_ATTEMPTS) throw storeError(e, `claiming ${id}`);
      }
    }
  }

  private counterChange(key: string, by: { held?: bigint; spent?: bigint }, row: 'IGNORE' | 'EXPECT_EXIST'): BatchWrite {
    const increment: Record<string, bigint> = {};
    if (by.held !== undefined) increment['held'] = by.held;
    if (by.spent !== undefined) increment['spent'] = by.spent;
    return { table: this.tables.counters, pk: [['key', key]], update: { increment }, condition: { row }, returnColumns: Object.keys(increment) };
  }
}
