// The TaskStore contract on TablestoreTaskStore over the wire-level stand-in, plus what Table Store adds (lost answers,
// lagging indexes, throttling, signatures); with OTS_TEST_* and ALIBABA_CLOUD_* set, also on the real service.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OtsError, TablestoreClient, type OtsCredentials } from '../../shared/adapters/tablestore/tablestore-client.ts';
import { TablestoreTaskStore } from '../../shared/adapters/tablestore/tablestore-task-store.ts';
import { createTaskTables, taskTableNames } from '../../shared/adapters/tablestore/task-tables.ts';
import { TaskConflictError, TaskStoreError } from '../../shared/ports/task-store.ts';
import { TablestoreStandin, TEST_CREDENTIALS, type TablestoreStandinOptions } from '../../dev/standins/tablestore/tablestore-standin.ts';
import { makeTask, runTaskStoreContract } from './task-store-contract.ts';

async function overStandin(options: TablestoreStandinOptions = {}, credentials: () => OtsCredentials = () => TEST_CREDENTIALS, timeoutMs?: number) {
  const standin = await new TablestoreStandin(options).start();
  const client = () => new TablestoreClient({ endpoint: standin.endpoint, instance: standin.instance, credentials, maxAttempts: 3, ...(timeoutMs ? { timeoutMs } : {}) });
  const names = taskTableNames();
  await createTaskTables(client(), names);
  return {
    standin,
    store: new TablestoreTaskStore(client(), names),
    peer: new TablestoreTaskStore(client(), names),
    holdIndexes: (hold: boolean) => standin.holdIndexes(hold),
    close: () => standin.stop(),
  };
}

// a small page cap, so every listing also crosses GetRange's next-start-key paging
runTaskStoreContract('TablestoreTaskStore over the stand-in', { create: () => overStandin({ maxRangeRows: 3 }) });

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000);

describe('TablestoreTaskStore over the stand-in', () => {
  let s: Awaited<ReturnType<typeof overStandin>>;
  beforeEach(async () => {
    s = await overStandin();
  });
  afterEach(async () => {
    await s.close();
  });

  it('lets exactly one of eight concurrent updates at one version win, over two clients', async () => {
    const task = makeTask();
    await s.store.create(task);
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => (i % 2 ? s.peer : s.store).update(task.id, 1, { pollCount: i + 1 }, at(2))));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof TaskConflictError)).toBe(true);
    expect(await s.store.get(task.id)).toEqual((won[0] as PromiseFulfilledResult<unknown>).value);
  });

  it('settles an update whose answer was lost after it committed by reading the row back: success, sent once', async () => {
    const task = makeTask();
    await s.store.create(task);
    s.standin.inject({ op: 'UpdateRow', kind: 'commit-then-drop' });
    const next = await s.store.update(task.id, 1, { status: 'RUNNING' }, at(5));
    expect(await s.store.get(task.id)).toEqual(next);
    expect(s.standin.requests.filter((r) => r.op === 'UpdateRow').map((r) => r.status)).toEqual([0]);
  });

  it('settles a create whose answer was lost after it committed, instead of reporting TaskAlreadyExistsError', async () => {
    const task = makeTask();
    s.standin.inject({ op: 'PutRow', kind: 'commit-then-drop' });
    await s.store.create(task);
    expect(await s.store.get(task.id)).toEqual(task);
  });

  it('settles an idempotency record whose answer was lost after it committed: this call created it', async () => {
    const record = { key: `idem_${makeTask().id}`, taskId: 'task_a', requestHash: 'h1', createdAt: at(1).toISOString() };
    s.standin.inject({ op: 'PutRow', kind: 'commit-then-drop' });
    expect(await s.store.putIdempotencyKey(record)).toBeUndefined();
    expect(await s.peer.putIdempotencyKey({ ...record, taskId: 'task_b' })).toEqual(record);
  });

  it('sends a write again when the re-read shows it never landed (dropped connection, 500)', async () => {
    const task = makeTask();
    s.standin.inject({ op: 'PutRow', kind: 'drop' });
    await s.store.create(task);
    s.standin.inject({ op: 'UpdateRow', kind: 'status', status: 500, code: 'OTSInternalServerError' });
    const next = await s.store.update(task.id, 1, { pollCount: 4 }, at(3));
    expect((await s.store.get(task.id))?.pollCount).toBe(4);
    expect(next.version).toBe(2);
    expect(s.standin.requests.filter((r) => r.op === 'UpdateRow').map((r) => r.status)).toEqual([500, 200]);
  });

  it('retries a write the service turned away as busy or throttled', async () => {
    s.standin.inject({ op: 'PutRow', kind: 'status', status: 503, code: 'OTSServerBusy' });
    s.standin.inject({ op: 'PutRow', kind: 'status', status: 403, code: 'OTSOperationThrottled' });
    const task = makeTask();
    await s.store.create(task);
    expect(s.standin.requests.filter((r) => r.op === 'PutRow').map((r) => r.status)).toEqual([503, 403, 200]);
  });

  it('retries reads on throttling, a 503 and a dropped connection, a bounded number of times', async () => {
    const task = makeTask();
    await s.store.create(task);
    s.standin.inject({ op: 'GetRow', kind: 'status', status: 503, code: 'OTSServerUnavailable' });
    s.standin.inject({ op: 'GetRow', kind: 'drop' });
    expect(await s.store.get(task.id)).toEqual(task);
    s.standin.inject({ op: 'GetRow', kind: 'status', status: 503, code: 'OTSServerUnavailable' }, 5);
    await expect(s.store.get(task.id)).rejects.toBeInstanceOf(TaskStoreError);
    expect(s.standin.requests.filter((r) => r.op === 'GetRow').map((r) => r.status)).toEqual([503, 0, 200, 503, 503, 503]);
  });

  it('tolerates a lagging due index: a stale entry is dropped on re-read, a new one shows once the index catches up', async () => {
    const done = makeTask({ dueAt: at(1).toISOString() });
    await s.store.create(done);
    s.standin.holdIndexes(true);
    await s.store.update(done.id, 1, { status: 'FAILED', dueAt: undefined }, at(2));
    const fresh = makeTask({ dueAt: at(1).toISOString() });
    await s.store.create(fresh);
    expect(await s.store.listDue(at(10), 10)).toEqual([]);
    s.standin.holdIndexes(false);
    expect((await s.store.listDue(at(10), 10)).map((t) => t.id)).toEqual([fresh.id]);
  });

  it('gives one lease to two pollers that both listed a task from a stale index', async () => {
    const task = makeTask({ dueAt: at(1).toISOString() });
    await s.store.create(task);
    const [a, b] = [await s.store.listDue(at(5), 10), await s.peer.listDue(at(5), 10)];
    s.standin.holdIndexes(true);
    expect([a.length, b.length]).toEqual([1, 1]);
    const leases = await Promise.all([s.store.tryLease(task.id, 'p1', at(60), at(5)), s.peer.tryLease(task.id, 'p2', at(60), at(5))]);
    expect(leases.filter(Boolean)).toHaveLength(1);
    expect(await s.store.listDue(at(6), 10)).toEqual([]);
  });

  it('settles an update answered with a 500 after it committed: success, sent once', async () => {
    const task = makeTask();
    await s.store.create(task);
    s.standin.inject({ op: 'UpdateRow', kind: 'status', status: 500, code: 'OTSInternalServerError', committed: true });
    const next = await s.store.update(task.id, 1, { status: 'RUNNING' }, at(5));
    expect(await s.store.get(task.id)).toEqual(next);
    expect(s.standin.requests.filter((r) => r.op === 'UpdateRow').map((r) => r.status)).toEqual([500]);
  });

  it('sends again a write that timed out before landing, and the late original then fails its condition', async () => {
    const slow = await overStandin({}, () => TEST_CREDENTIALS, 100);
    try {
      const task = makeTask();
      await slow.store.create(task);
      slow.standin.inject({ op: 'UpdateRow', kind: 'latency', ms: 400 });
      const next = await slow.store.update(task.id, 1, { pollCount: 7 }, at(5));
      await new Promise((r) => setTimeout(r, 500));
      expect(await slow.store.get(task.id)).toEqual(next);
      expect(slow.standin.requests.filter((r) => r.op === 'UpdateRow').map((r) => r.status).sort()).toEqual([200, 403]);
    } finally {
      await slow.close();
    }
  });
});

describe('TablestoreTaskStore over an index that trails by a delay', () => {
  it('lists a task only once the index clock has passed the lag, as the real asynchronous index does', async () => {
    let clock = Date.now();
    const s = await overStandin({ indexLagMs: 1000, now: () => clock });
    try {
      const task = makeTask({ dueAt: at(1).toISOString() });
      await s.store.create(task);
      expect(await s.store.listDue(at(5), 10)).toEqual([]);
      clock += 999;
      expect(await s.store.listDue(at(5), 10)).toEqual([]);
      clock += 1;
      expect((await s.store.listDue(at(5), 10)).map((t) => t.id)).toEqual([task.id]);
    } finally {
      await s.close();
    }
  });
});

describe('TablestoreTaskStore credentials', () => {
  it('is refused by the stand-in with a wrong secret: TaskStoreError caused by OTSAuthFailed', async () => {
    const s = await overStandin({}, () => ({ ...TEST_CREDENTIALS, accessKeySecret: 'wrong' })).catch((e: unknown) => e);
    expect(s).toBeInstanceOf(OtsError);
    expect(s).toMatchObject({ code: 'OTSAuthFailed', httpStatus: 403 });
  });

  it('asks for credentials on every call, so rotated STS credentials are used as soon as they are issued', async () => {
    const first = { accessKeyId: 'STS.first', accessKeySecret: 's1', securityToken: 't1' };
    const second = { accessKeyId: 'STS.second', accessKeySecret: 's2', securityToken: 't2' };
    let current = first;
    let asked = 0;
    const s = await overStandin({ credentials: [first, second] }, () => {
      asked += 1;
      return current;
    });
    try {
      const task = makeTask();
      await s.store.create(task);
      current = second;
      expect(await s.store.get(task.id)).toEqual(task);
      current = { ...second, securityToken: 'expired' };
      const err = await s.store.get(task.id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskStoreError);
      expect((err as { cause?: unknown }).cause).toMatchObject({ code: 'OTSAuthFailed' });
      expect(asked).toBeGreaterThanOrEqual(5);
    } finally {
      await s.close();
    }
  });
});

const real = {
  endpoint: process.env['OTS_TEST_ENDPOINT'],
  instance: process.env['OTS_TEST_INSTANCE'],
  accessKeyId: process.env['ALIBABA_CLOUD_ACCESS_KEY_ID'],
  accessKeySecret: process.env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
  securityToken: process.env['ALIBABA_CLOUD_SECURITY_TOKEN'],
};
if (real.endpoint && real.instance && real.accessKeyId && real.accessKeySecret) {
  const { endpoint, instance, accessKeyId, accessKeySecret, securityToken } = real;
  const client = new TablestoreClient({ endpoint, instance, credentials: () => ({ accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) }) });
  // tables are kept between runs (creating them takes seconds); task ids are unique per run
  const names = taskTableNames(process.env['OTS_TEST_TABLE_PREFIX'] ?? 'dsfc_contract_');
  let ready: Promise<void> | undefined;
  const ensureTables = () =>
    (ready ??= createTaskTables(client, names).then(
      () => new Promise((r) => setTimeout(r, 10_000)),
      (e: unknown) => {
        if (!(e instanceof OtsError && e.code === 'OTSObjectAlreadyExist')) throw e;
      },
    ));
  runTaskStoreContract(`TablestoreTaskStore on ${instance} (real service, run ${randomUUID().slice(0, 8)})`, {
    create: async () => {
      await ensureTables();
      return { store: new TablestoreTaskStore(client, names), close: async () => {} };
    },
  });
} else {
  describe.skip('TaskStore contract: real Table Store (skipped: set OTS_TEST_ENDPOINT, OTS_TEST_INSTANCE, ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET)', () => {
    it('runs the TaskStore contract against the real service', () => {});
  });
}
