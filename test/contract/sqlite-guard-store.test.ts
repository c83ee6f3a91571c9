// Runs the GuardStore contract against SQLite (a second connection on the same file as the peer), plus what only
// the SQLite store promises: separate processes on one file never pass a limit together, expired counters go.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../shared/adapters/sqlite/database.ts';
import { SETTLE_BATCH, SETTLE_DELAY_MS, SqliteGuardStore } from '../../shared/adapters/sqlite/sqlite-guard-store.ts';
import { GuardStoreError } from '../../shared/ports/guard-store.ts';
import { runGuardStoreContract } from './guard-store-contract.ts';

const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'guard-store-'));
  return { dir, file: join(dir, 'local.db') };
};

runGuardStoreContract('SqliteGuardStore', {
  create: async () => {
    const { dir, file } = tempFile();
    const db = openDatabase(file);
    const peerDb = openDatabase(file);
    return {
      store: new SqliteGuardStore(db),
      peer: new SqliteGuardStore(peerDb),
      close: async () => {
        db.close();
        peerDb.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});

const repo = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./fixtures/guard-admit-process.ts', import.meta.url));

/** Starts one admitting process and resolves with it once it has opened the database. */
function startAdmitter(file: string, key: string, limit: number, attempts: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, file, key, String(limit), String(attempts)], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => out.includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`admitter exited ${code} before it was ready: ${err.slice(0, 500)}`)));
  });
  const done = new Promise<number>((resolve, reject) =>
    child.once('exit', (code) => {
      const m = /admitted (\d+)/.exec(out);
      if (code === 0 && m) resolve(Number(m[1]));
      else reject(new Error(`admitter exited ${code}: ${err.slice(0, 500)}`));
    }),
  );
  return { ready, done, go: () => child.stdin.end('go\n') };
}

describe('SqliteGuardStore', () => {
  it('never passes a fit limit when four OS processes admit on the same file at once', async () => {
    const { dir, file } = tempFile();
    const db = openDatabase(file);
    try {
      const store = new SqliteGuardStore(db); // creates the tables before the processes race
      const admitters = Array.from({ length: 4 }, () => startAdmitter(file, 'rpm|acme|qwen-plus|w', 37, 30));
      await Promise.all(admitters.map((a) => a.ready));
      for (const a of admitters) a.go();
      const admitted = await Promise.all(admitters.map((a) => a.done));
      expect(admitted.reduce((a, b) => a + b, 0)).toBe(37);
      expect(admitted.filter((n) => n > 0).length).toBeGreaterThan(1);
      expect(await store.read(['rpm|acme|qwen-plus|w'])).toEqual([{ key: 'rpm|acme|qwen-plus|w', spent: 0, held: 37 }]);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('drops counter rows whose window has ended as admissions come', async () => {
    const db = openDatabase(':memory:');
    try {
      const store = new SqliteGuardStore(db);
      const t = Date.parse('2030-01-01T00:00:00Z');
      await store.admit({ charges: [{ key: 'rpm|old', amount: 1, limit: 5, rule: 'fit', expiresAt: new Date(t + 60_000) }] }, new Date(t));
      await store.admit({ charges: [{ key: 'rpm|new', amount: 1, limit: 5, rule: 'fit', expiresAt: new Date(t + 180_000) }] }, new Date(t + 120_000));
      const keys = (db.prepare('SELECT key FROM guard_counters ORDER BY key').all() as { key: string }[]).map((r) => r.key);
      expect(keys).toEqual(['rpm|new']);
    } finally {
      db.close();
    }
  });

  it('keeps a counter until the latest expiry any charge or spend gave it, never an earlier one', async () => {
    const db = openDatabase(':memory:');
    try {
      const store = new SqliteGuardStore(db);
      const t = Date.parse('2030-01-01T00:00:00Z');
      const expiry = () => (db.prepare("SELECT expires_at FROM guard_counters WHERE key = 'budget|k'").get() as { expires_at: number }).expires_at;
      await store.admit({ charges: [{ key: 'budget|k', amount: 1, limit: 100, rule: 'under', expiresAt: new Date(t + 60_000) }] }, new Date(t));
      await store.admit({ charges: [{ key: 'budget|k', amount: 1, limit: 100, rule: 'under', expiresAt: new Date(t + 30_000) }] }, new Date(t));
      expect(expiry()).toBe(t + 60_000);
      const entry = { id: 'chat:x', tenant: 'acme', model: 'qwen-plus', kind: 'chat' as const, at: new Date(t).toISOString(), costMicros: 5, units: {} };
      await store.settle({ entry, spendKeys: [{ key: 'budget|k', expiresAt: new Date(t + 90_000) }] }, new Date(t));
      expect(expiry()).toBe(t + 90_000);
      // still there after its first expiry has passed, gone after the latest
      await store.admit({ charges: [{ key: 'rpm|other', amount: 1, limit: 5, rule: 'fit', expiresAt: new Date(t + 600_000) }] }, new Date(t + 70_000));
      expect(await store.read(['budget|k'])).toEqual([{ key: 'budget|k', spent: 5, held: 2 }]);
      await store.admit({ charges: [{ key: 'rpm|other', amount: 1, limit: 5, rule: 'fit', expiresAt: new Date(t + 600_000) }] }, new Date(t + 90_000));
      expect(await store.read(['budget|k'])).toEqual([{ key: 'budget|k', spent: 0, held: 0 }]);
    } finally {
      db.close();
    }
  });

  it('writes settlements asked for together in one transaction, each on its own: one that fails leaves the others recorded and itself undone', async () => {
    const db = openDatabase(':memory:');
    try {
      const store = new SqliteGuardStore(db);
      const t = Date.parse('2030-01-01T00:00:00Z');
      const now = new Date(t);
      const expiresAt = new Date(t + 86_400_000);
      const reservation = (id: string) => ({ id, keys: ['budget|k'], amount: 100, expiresAt });
      for (const id of ['res|a', 'res|b', 'res|c']) await store.admit({ charges: [{ key: 'budget|k', amount: 100, limit: 1_000, rule: 'under', expiresAt }], reservation: reservation(id) }, now);
      // b's reservation row is damaged: its settlement fails inside the batch
      db.prepare("UPDATE guard_reservations SET keys = 'not json' WHERE id = 'res|b'").run();
      const entry = (id: string) => ({ id, tenant: 'acme', model: 'qwen-plus', kind: 'chat' as const, at: now.toISOString(), costMicros: 7, units: {} });
      const settle = (id: string) => store.settle({ reservationId: `res|${id}`, entry: entry(`chat:${id}`), spendKeys: [{ key: 'budget|k', expiresAt }] }, now);
      const outcomes = await Promise.allSettled([settle('a'), settle('b'), settle('c')]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(GuardStoreError);
      const ledger = await store.listLedger({ from: new Date(0), to: new Date(t + 1), limit: 10 });
      expect(ledger.entries.map((e) => e.id).sort()).toEqual(['chat:a', 'chat:c']);
      // a and c spent 7 each and gave back their 100; b's reservation is still held, its entry not recorded
      expect(await store.read(['budget|k'])).toEqual([{ key: 'budget|k', spent: 14, held: 100 }]);
      expect(db.prepare("SELECT id FROM guard_reservations").all()).toEqual([{ id: 'res|b' }]);
    } finally {
      db.close();
    }
  });

  it('answers each settlement of a batch truly when SQLite aborts the whole transaction (disk full): what resolved is recorded, what failed is not', async () => {
    const db = openDatabase(':memory:');
    try {
      const store = new SqliteGuardStore(db);
      const t = Date.parse('2030-01-01T00:00:00Z');
      const now = new Date(t);
      const expiresAt = new Date(t + 86_400_000);
      // the file may not grow past its pages now: settlements with large entries need new ones
      const pages = (db.pragma('page_count', { simple: true }) as number) + 2;
      db.pragma(`max_page_count = ${pages}`);
      const entry = (id: string) => ({ id, tenant: 'acme', model: 'qwen-plus', kind: 'chat' as const, at: now.toISOString(), costMicros: 7, units: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`u${i}_${id}`, i])) });
      const ids = Array.from({ length: 6 }, (_, i) => `chat:${i}`);
      const outcomes = await Promise.allSettled(ids.map((id) => store.settle({ entry: entry(id), spendKeys: [{ key: 'budget|k', expiresAt }] }, now)));
      expect(outcomes.some((o) => o.status === 'rejected')).toBe(true);
      db.pragma('max_page_count = 1000000');
      const recorded = (await store.listLedger({ from: new Date(0), to: new Date(t + 1), limit: 10 })).entries.map((e) => e.id).sort();
      const resolved = ids.filter((_, i) => outcomes[i]!.status === 'fulfilled').sort();
      expect(recorded).toEqual(resolved);
      expect(await store.read(['budget|k'])).toEqual([{ key: 'budget|k', spent: 7 * resolved.length, held: 0 }]);
    } finally {
      db.close();
    }
  });

  describe('settlements written in batches', () => {
    afterEach(() => vi.useRealTimers());
    const t = Date.parse('2030-01-01T00:00:00Z');
    const now = new Date(t);
    const expiresAt = new Date(t + 86_400_000);
    const settlement = (i: number) => ({ entry: { id: `chat:${i}`, tenant: 'acme', model: 'qwen-plus', kind: 'chat' as const, at: now.toISOString(), costMicros: 3, units: {} }, spendKeys: [{ key: 'budget|k', expiresAt }] });
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    /** Ledger entries another connection to the file sees (what another process sees). */
    const seenByPeer = (file: string) => {
      const peer = openDatabase(file);
      try {
        return (peer.prepare('SELECT count(*) AS n FROM guard_ledger').get() as { n: number }).n;
      } finally {
        peer.close();
      }
    };
    /** A store on a file of its own, with the settlement timer under the test's control. */
    const onFile = async (work: (store: SqliteGuardStore, file: string) => Promise<void>) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const { dir, file } = tempFile();
      const db = openDatabase(file);
      try {
        await work(new SqliteGuardStore(db), file);
      } finally {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      }
    };

    it('waits SETTLE_DELAY_MS for others before anything is written, then writes every settlement waiting', () =>
      onFile(async (store, file) => {
        const written = [store.settle(settlement(1), now), store.settle(settlement(2), now)];
        await turn();
        expect(seenByPeer(file)).toBe(0);
        vi.advanceTimersByTime(SETTLE_DELAY_MS - 1);
        expect(seenByPeer(file)).toBe(0);
        vi.advanceTimersByTime(1);
        expect((await Promise.all(written)).map((r) => r.recorded)).toEqual([true, true]);
        expect(seenByPeer(file)).toBe(2);
      }));

    it('writes at once when SETTLE_BATCH are waiting, without waiting for the timer', () =>
      onFile(async (store, file) => {
        const first = Array.from({ length: SETTLE_BATCH - 1 }, (_, i) => store.settle(settlement(i), now));
        await turn();
        expect(seenByPeer(file)).toBe(0);
        const last = store.settle(settlement(SETTLE_BATCH), now);
        await Promise.all([...first, last]);
        expect(seenByPeer(file)).toBe(SETTLE_BATCH);
        // the timer of the batch written is gone: the next settlement waits for a timer of its own
        const next = store.settle(settlement(SETTLE_BATCH + 1), now);
        await turn();
        expect(seenByPeer(file)).toBe(SETTLE_BATCH);
        vi.advanceTimersByTime(SETTLE_DELAY_MS);
        await next;
        expect(seenByPeer(file)).toBe(SETTLE_BATCH + 1);
      }));

    it('lets no reader in the process see the ledger or the counters without the settlements asked for before it', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const db = openDatabase(':memory:');
      try {
        const store = new SqliteGuardStore(db);
        const reservation = { id: 'res|1', keys: ['budget|k'], amount: 100, expiresAt };
        await store.admit({ charges: [{ key: 'budget|k', amount: 100, limit: 1_000, rule: 'under', expiresAt }], reservation }, now);
        const written = store.settle({ ...settlement(1), reservationId: 'res|1' }, now);
        expect(await store.read(['budget|k'])).toEqual([{ key: 'budget|k', spent: 3, held: 0 }]);
        await written;
        void store.settle(settlement(2), now);
        expect((await store.listLedger({ from: new Date(0), to: new Date(t + 1), limit: 10 })).entries.map((e) => e.id)).toEqual(['chat:1', 'chat:2']);
        void store.settle(settlement(3), now);
        store.flushSettlements();
        expect((db.prepare('SELECT count(*) AS n FROM guard_ledger').get() as { n: number }).n).toBe(3);
      } finally {
        db.close();
      }
    });
  });

  it('fails loudly on a ledger row that no longer matches its schema', async () => {
    const db = openDatabase(':memory:');
    try {
      const store = new SqliteGuardStore(db);
      const at = '2030-01-01T00:00:00.000Z';
      await store.settle({ entry: { id: 'chat:1', tenant: 'acme', model: 'qwen-plus', kind: 'chat', at, costMicros: 5, units: {} } }, new Date(at));
      db.prepare('UPDATE guard_ledger SET data = ?').run(JSON.stringify({ id: 'chat:1', costMicros: 'five' }));
      await expect(store.listLedger({ from: new Date(at), to: new Date(Date.parse(at) + 1), limit: 5 })).rejects.toBeInstanceOf(GuardStoreError);
    } finally {
      db.close();
    }
  });

  it('serves a tenant ledger query from the tenant index rather than a scan', () => {
    const db = openDatabase(':memory:');
    try {
      new SqliteGuardStore(db);
      const plan = db.prepare('EXPLAIN QUERY PLAN SELECT id, at_ms, data FROM guard_ledger WHERE at_ms >= 0 AND at_ms < 9 AND tenant = ? ORDER BY at_ms, id LIMIT 5').all('a') as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' | ')).toMatch(/USING (COVERING )?INDEX guard_ledger_tenant/);
    } finally {
      db.close();
    }
  });
});
