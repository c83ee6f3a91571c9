// The GuardStore contract: every adapter (SQLite locally, Table Store in the cloud) runs this same suite, so the
// rate limits, budgets and the ledger hold the same way everywhere: atomic admissions, exactly-once settlements.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../shared/domain/ledger.ts';
import { GuardStoreError, ReservationExistsError, type CounterCharge, type GuardStore } from '../../shared/ports/guard-store.ts';

export interface GuardStoreSubject {
  store: GuardStore;
  /** A second handle on the same data (another connection or client), when the adapter has one. */
  peer?: GuardStore;
  close(): Promise<void>;
}

export interface GuardStoreContractOptions {
  create: () => Promise<GuardStoreSubject>;
}

// A random year per run, so runs against a real service that keeps its rows never meet each other's entries.
const YEAR = 2100 + Math.floor(Math.random() * 7000);
const T0 = Date.UTC(YEAR, 0, 31, 23, 0, 0);
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);
const LATER = at(3600 * 24 * 40);
let seq = 0;
/** A name unique to this run and call, so suites may share a backing store. */
const u = (prefix: string) => `${prefix}|${process.pid}-${Date.now().toString(36)}-${++seq}`;

const charge = (key: string, amount: number, limit: number, rule: CounterCharge['rule'] = 'fit'): CounterCharge => ({ key, amount, limit, rule, expiresAt: LATER });

function entry(overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    id: u('chat:req'),
    tenant: 'acme',
    model: 'qwen-plus',
    kind: 'chat',
    at: at(0).toISOString(),
    costMicros: 1200,
    units: { prompt_tokens: 100, completion_tokens: 20 },
    ref: 'ds-req-1',
    ...overrides,
  };
}

export function runGuardStoreContract(name: string, options: GuardStoreContractOptions): void {
  describe(`GuardStore contract: ${name}`, () => {
    let subject: GuardStoreSubject;
    let store: GuardStore;
    /** Alternates between the two handles, when there are two, so concurrent calls also cross connections. */
    const handle = (i: number): GuardStore => (i % 2 === 1 && subject.peer ? subject.peer : store);
    beforeEach(async () => {
      subject = await options.create();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.close();
    });

    const held = async (key: string) => (await store.read([key]))[0]!.held;
    const spent = async (key: string) => (await store.read([key]))[0]!.spent;

    it('reads counters never written as zeros, in the order asked', async () => {
      const [a, b] = [u('a'), u('b')];
      expect(await store.read([a, b])).toEqual([
        { key: a, spent: 0, held: 0 },
        { key: b, spent: 0, held: 0 },
      ]);
      expect(await store.read([])).toEqual([]);
    });

    it('admits and charges every counter of the admission', async () => {
      const [rpm, tpm] = [u('rpm'), u('tpm')];
      expect(await store.admit({ charges: [charge(rpm, 1, 10), charge(tpm, 500, 1000, 'under')] }, at(0))).toEqual({ admitted: true });
      expect(await store.read([rpm, tpm])).toEqual([
        { key: rpm, spent: 0, held: 1 },
        { key: tpm, spent: 0, held: 500 },
      ]);
    });

    it('fit: admits up to the limit exactly and refuses the charge that would pass it, reporting it and the current value', async () => {
      const rpm = u('rpm');
      for (let i = 0; i < 3; i++) expect(await store.admit({ charges: [charge(rpm, 1, 3)] }, at(i))).toEqual({ admitted: true });
      const refused = charge(rpm, 1, 3);
      expect(await store.admit({ charges: [refused] }, at(4))).toEqual({ admitted: false, refused, current: { key: rpm, spent: 0, held: 3 } });
      expect(await held(rpm)).toBe(3);
      // an amount that does not fit whole is refused even though the counter is below the limit
      const big = u('rpm');
      await store.admit({ charges: [charge(big, 2, 3)] }, at(0));
      expect(await store.admit({ charges: [charge(big, 2, 3)] }, at(0))).toMatchObject({ admitted: false, current: { held: 2 } });
    });

    it('under: admits while the counter is below the limit, lets one charge cross it, then refuses', async () => {
      const tpm = u('tpm');
      expect(await store.admit({ charges: [charge(tpm, 600, 1000, 'under')] }, at(0))).toEqual({ admitted: true });
      expect(await store.admit({ charges: [charge(tpm, 600, 1000, 'under')] }, at(1))).toEqual({ admitted: true });
      expect(await store.admit({ charges: [charge(tpm, 1, 1000, 'under')] }, at(2))).toMatchObject({ admitted: false, current: { key: tpm, spent: 0, held: 1200 } });
      expect(await held(tpm)).toBe(1200);
    });

    it('counts spent with held against the limit', async () => {
      const day = u('budget-day');
      const r = u('res');
      await store.admit({ charges: [charge(day, 700, 1000, 'under')], reservation: { id: r, keys: [day], amount: 700, expiresAt: at(60) } }, at(0));
      await store.settle({ reservationId: r, entry: entry({ costMicros: 1000 }), spendKeys: [{ key: day, expiresAt: LATER }] }, at(1));
      expect(await store.read([day])).toEqual([{ key: day, spent: 1000, held: 0 }]);
      expect(await store.admit({ charges: [charge(day, 1, 1000, 'under')] }, at(2))).toMatchObject({ admitted: false, current: { spent: 1000, held: 0 } });
    });

    it('is all or nothing: a refused admission leaves no partial charge and no reservation', async () => {
      const [rpm, budget] = [u('rpm'), u('budget')];
      await store.admit({ charges: [charge(budget, 900, 1000, 'under')] }, at(0));
      await store.admit({ charges: [charge(budget, 200, 1000, 'under')] }, at(0));
      const r = u('res');
      const result = await store.admit(
        { charges: [charge(rpm, 1, 10), charge(budget, 300, 1000, 'under')], reservation: { id: r, keys: [budget], amount: 300, expiresAt: at(10) } },
        at(1),
      );
      expect(result).toMatchObject({ admitted: false, refused: { key: budget, amount: 300 }, current: { key: budget, held: 1100 } });
      expect(await store.read([rpm, budget])).toEqual([
        { key: rpm, spent: 0, held: 0 },
        { key: budget, spent: 0, held: 1100 },
      ]);
      // no reservation was kept: nothing expires and settling it takes nothing off
      expect(await store.expireReservations(LATER, 100)).toBe(0);
      await store.settle({ reservationId: r }, at(2));
      expect(await held(budget)).toBe(1100);
    });

    it('refuses a reservation id already taken with ReservationExistsError, charging nothing', async () => {
      const day = u('day');
      const r = u('res');
      const admission = { charges: [charge(day, 10, 1000, 'under')], reservation: { id: r, keys: [day], amount: 10, expiresAt: at(60) } };
      expect(await store.admit(admission, at(0))).toEqual({ admitted: true });
      await expect(store.admit(admission, at(1))).rejects.toBeInstanceOf(ReservationExistsError);
      expect(await store.read([day])).toEqual([{ key: day, spent: 0, held: 10 }]);
      expect(await store.expireReservations(at(60), 10)).toBe(1);
      expect(await held(day)).toBe(0);
    });

    it('never passes a fit limit under 50 concurrent admissions', async () => {
      const rpm = u('rpm');
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => handle(i).admit({ charges: [charge(rpm, 1, 20)] }, at(0))));
      const admitted = results.filter((r) => r.admitted).length;
      expect(admitted).toBe(20);
      expect(await held(rpm)).toBe(20);
    });

    it('overshoots an under limit by at most one charge under 50 concurrent admissions', async () => {
      const tpm = u('tpm');
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => handle(i).admit({ charges: [charge(tpm, 3, 20, 'under')] }, at(0))));
      const admitted = results.filter((r) => r.admitted).length;
      const total = await held(tpm);
      expect(total).toBe(admitted * 3);
      expect(total).toBeGreaterThanOrEqual(20);
      expect(total).toBeLessThan(20 + 3);
    });

    it('keeps every counter of concurrent multi-charge admissions consistent: no partial charge survives a refusal', async () => {
      const [rpm, budget] = [u('rpm'), u('budget')];
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          handle(i).admit({ charges: [charge(rpm, 1, 25), charge(budget, 100, 1500, 'under')], reservation: { id: u('res'), keys: [budget], amount: 100, expiresAt: at(30) } }, at(0)),
        ),
      );
      const admitted = results.filter((r) => r.admitted).length;
      expect(admitted).toBeGreaterThan(0);
      expect(admitted).toBeLessThanOrEqual(15);
      expect(await store.read([rpm, budget])).toEqual([
        { key: rpm, spent: 0, held: admitted },
        { key: budget, spent: 0, held: admitted * 100 },
      ]);
      // exactly the admitted reservations were kept
      expect(await store.expireReservations(at(30), 100)).toBe(admitted);
      expect(await held(budget)).toBe(0);
    });

    it('settles once: records the entry, adds its cost to the spend keys, releases the reservation and applies the adjustments', async () => {
      const [tpm, day, month] = [u('tpm'), u('day'), u('month')];
      const r = u('res');
      await store.admit({ charges: [charge(tpm, 1000, 10_000, 'under'), charge(day, 5000, 100_000, 'under')], reservation: { id: r, keys: [day], amount: 5000, expiresAt: at(60) } }, at(0));
      await store.admit({ charges: [charge(month, 0, 100_000, 'under')] }, at(0));
      const e = entry({ costMicros: 1200 });
      const settlement = {
        reservationId: r,
        entry: e,
        spendKeys: [
          { key: day, expiresAt: LATER },
          { key: month, expiresAt: LATER },
        ],
        adjustments: [{ key: tpm, amount: -880, expiresAt: LATER }],
      };
      expect(await store.settle(settlement, at(5))).toEqual({
        recorded: true,
        spend: [
          { key: day, before: 0, after: 1200 },
          { key: month, before: 0, after: 1200 },
        ],
      });
      const after = [
        { key: tpm, spent: 0, held: 120 },
        { key: day, spent: 1200, held: 0 },
        { key: month, spent: 1200, held: 0 },
      ];
      expect(await store.read([tpm, day, month])).toEqual(after);
      // the same settlement again: recorded before, nothing added, the adjustment not applied twice
      expect(await store.settle(settlement, at(6))).toEqual({
        recorded: false,
        spend: [
          { key: day, before: 1200, after: 1200 },
          { key: month, before: 1200, after: 1200 },
        ],
      });
      expect(await store.read([tpm, day, month])).toEqual(after);
      const page = await store.listLedger({ from: at(0), to: at(1), limit: 10, tenant: e.tenant });
      expect(page.entries.filter((x) => x.id === e.id)).toEqual([e]);
    });

    it('records an entry once when the same settlement arrives concurrently', async () => {
      const day = u('day');
      const e = entry({ costMicros: 70 });
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => handle(i).settle({ entry: e, spendKeys: [{ key: day, expiresAt: LATER }] }, at(1))));
      expect(results.filter((r) => r.recorded)).toHaveLength(1);
      expect(await spent(day)).toBe(70);
    });

    it('records an entry of the same id once even when a retry carries another time or cost', async () => {
      const day = u('day');
      const e = entry({ costMicros: 10 });
      expect((await store.settle({ entry: e, spendKeys: [{ key: day, expiresAt: LATER }] }, at(1))).recorded).toBe(true);
      expect((await store.settle({ entry: { ...e, at: at(7200).toISOString(), costMicros: 99 }, spendKeys: [{ key: day, expiresAt: LATER }] }, at(2))).recorded).toBe(false);
      expect(await spent(day)).toBe(10);
      const all = await store.listLedger({ from: at(0), to: at(3 * 86400), tenant: e.tenant, limit: 100 });
      expect(all.entries.filter((x) => x.id === e.id)).toEqual([e]);
    });

    it('releases a reservation once: settling it after it expired records the spend only', async () => {
      const day = u('day');
      const r = u('res');
      await store.admit({ charges: [charge(day, 400, 10_000, 'under')], reservation: { id: r, keys: [day], amount: 400, expiresAt: at(60) } }, at(0));
      await store.admit({ charges: [charge(day, 100, 10_000, 'under')] }, at(0));
      expect(await store.expireReservations(at(60), 10)).toBe(1);
      expect(await store.read([day])).toEqual([{ key: day, spent: 0, held: 100 }]);
      const result = await store.settle({ reservationId: r, entry: entry({ costMicros: 350 }), spendKeys: [{ key: day, expiresAt: LATER }] }, at(61));
      expect(result).toEqual({ recorded: true, spend: [{ key: day, before: 0, after: 350 }] });
      expect(await store.read([day])).toEqual([{ key: day, spent: 350, held: 100 }]);
    });

    it('only releases on a settlement without an entry', async () => {
      const [rpm, day] = [u('rpm'), u('day')];
      const r = u('res');
      await store.admit({ charges: [charge(rpm, 1, 10), charge(day, 300, 10_000, 'under')], reservation: { id: r, keys: [day], amount: 300, expiresAt: at(60) } }, at(0));
      expect(await store.settle({ reservationId: r, adjustments: [{ key: rpm, amount: -1, expiresAt: LATER }] }, at(1))).toEqual({ recorded: false, spend: [] });
      expect(await store.read([rpm, day])).toEqual([
        { key: rpm, spent: 0, held: 1 },
        { key: day, spent: 0, held: 0 },
      ]);
      // released once: again, nothing more comes off
      await store.settle({ reservationId: r }, at(2));
      expect(await held(day)).toBe(0);
    });

    it('releases only expired reservations, each once, and no more than the limit', async () => {
      const day = u('day');
      const ids = [u('res'), u('res'), u('res'), u('res')];
      const expiries = [at(10), at(20), at(30), at(500)];
      for (const [i, id] of ids.entries()) {
        await store.admit({ charges: [charge(day, 10 ** i, 1_000_000, 'under')], reservation: { id, keys: [day], amount: 10 ** i, expiresAt: expiries[i]! } }, at(0));
      }
      expect(await held(day)).toBe(1111);
      expect(await store.expireReservations(at(9), 10)).toBe(0);
      expect(await store.expireReservations(at(30), 2)).toBe(2);
      expect(await held(day)).toBe(1100);
      expect(await store.expireReservations(at(30), 10)).toBe(1);
      expect(await held(day)).toBe(1000);
      expect(await store.expireReservations(at(30), 10)).toBe(0);
      expect(await held(day)).toBe(1000);
    });

    it('releases an expired reservation once in total when two callers expire concurrently', async () => {
      const day = u('day');
      for (let i = 0; i < 5; i++) {
        await store.admit({ charges: [charge(day, 7, 1000, 'under')], reservation: { id: u('res'), keys: [day], amount: 7, expiresAt: at(5) } }, at(0));
      }
      const counts = await Promise.all([store.expireReservations(at(5), 10), (subject.peer ?? store).expireReservations(at(5), 10)]);
      expect(counts[0]! + counts[1]!).toBe(5);
      expect(await held(day)).toBe(0);
    });

    it('applies a negative adjustment to held', async () => {
      const tpm = u('tpm');
      await store.admit({ charges: [charge(tpm, 900, 10_000, 'under')] }, at(0));
      await store.settle({ entry: entry({ costMicros: 0 }), adjustments: [{ key: tpm, amount: -650, expiresAt: LATER }] }, at(1));
      expect(await store.read([tpm])).toEqual([{ key: tpm, spent: 0, held: 250 }]);
    });

    it('claims an alert once, even when claimed concurrently', async () => {
      const id = u('budget.threshold:acme:day:80');
      const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => handle(i).claimAlert(id, at(0))));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.claimAlert(id, at(1))).toBe(false);
      expect(await store.claimAlert(u('other'), at(1))).toBe(true);
    });

    it('lists the ledger in [from, to), oldest first, by tenant, a page at a time across a month boundary', async () => {
      const [t1, t2] = [`t-${process.pid}-${seq++}`, `t-${process.pid}-${seq++}`];
      // T0 is the last hour of January; these straddle the first of February
      const offsets = [-1, 0, 1800, 3599, 3600, 3601, 7200, 90_000];
      const written: LedgerEntry[] = [];
      for (const [i, s] of offsets.entries()) {
        const e = entry({ id: `chat:${u('r')}`, tenant: i % 2 === 0 ? t1 : t2, at: at(s).toISOString(), costMicros: i });
        written.push(e);
        await store.settle({ entry: e }, at(s));
      }
      const inRange = written.filter((_, i) => offsets[i]! >= 0 && offsets[i]! < 7200);
      const pages: LedgerEntry[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listLedger({ from: at(0), to: at(7200), limit: 2, ...(cursor ? { cursor } : {}) });
        pages.push(page.entries);
        cursor = page.next;
      } while (cursor && pages.length < 10);
      const mine = pages.flat().filter((e) => e.tenant === t1 || e.tenant === t2);
      expect(mine).toEqual(inRange);
      expect(pages.every((p) => p.length <= 2)).toBe(true);
      const onlyT2 = await store.listLedger({ from: at(0), to: at(7200), tenant: t2, limit: 100 });
      expect(onlyT2).toEqual({ entries: inRange.filter((e) => e.tenant === t2) });
      const pagedT1: LedgerEntry[] = [];
      cursor = undefined;
      do {
        const page = await store.listLedger({ from: at(-3600), to: at(100_000), tenant: t1, limit: 1, ...(cursor ? { cursor } : {}) });
        pagedT1.push(...page.entries);
        cursor = page.next;
      } while (cursor && pagedT1.length < 10);
      expect(pagedT1).toEqual(written.filter((e) => e.tenant === t1));
    });

    it('refuses fractional or negative amounts with GuardStoreError and changes nothing', async () => {
      const key = u('k');
      const tenant = `t-${process.pid}-${seq++}`;
      const bad = [
        store.admit({ charges: [charge(key, 1.5, 10)] }, at(0)),
        store.admit({ charges: [charge(key, -1, 10)] }, at(0)),
        store.admit({ charges: [charge(key, 1, 10.5)] }, at(0)),
        store.admit({ charges: [charge(key, 1, 10)], reservation: { id: u('res'), keys: [key], amount: 0.25, expiresAt: at(1) } }, at(0)),
        store.admit({ charges: [charge(key, 1, 10), charge(key, 1, 10)] }, at(0)),
        store.settle({ entry: entry({ tenant, costMicros: 1.5 }) }, at(0)),
        store.settle({ entry: entry({ tenant, costMicros: -3 }) }, at(0)),
        store.settle({ entry: entry({ tenant }), adjustments: [{ key, amount: 0.5, expiresAt: LATER }] }, at(0)),
      ];
      for (const p of bad) await expect(p).rejects.toBeInstanceOf(GuardStoreError);
      expect(await store.read([key])).toEqual([{ key, spent: 0, held: 0 }]);
      expect(await store.listLedger({ from: at(-10), to: at(10), tenant, limit: 10 })).toEqual({ entries: [] });
    });

    it('refuses a cursor it did not issue', async () => {
      await expect(store.listLedger({ from: at(0), to: at(1), limit: 1, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(GuardStoreError);
    });
  });
}
