// The TaskStore contract: every adapter (SQLite locally, Table Store in the cloud) runs this same suite,
// so the use cases can rely on create-once, conditional updates, leases and the due-task query everywhere.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Task, TaskStatus } from '../../shared/domain/task.ts';
import { itKeepsLeasesExclusiveUnderALaggingIndex } from './task-store-lag-case.ts';
import { itListsByTenant } from './task-store-tenant-cases.ts';
import { TaskAlreadyExistsError, TaskConflictError, TaskNotFoundError, TaskStoreError, type ListOrder, type TaskStore } from '../../shared/ports/task-store.ts';

export interface TaskStoreSubject {
  store: TaskStore;
  /** A second handle on the same data (another connection or process), when the adapter has one. */
  peer?: TaskStore;
  /** Holds the due index where it is (true) or lets it catch up (false), for adapters whose index lags. */
  holdIndexes?: (hold: boolean) => void;
  close(): Promise<void>;
}

export interface TaskStoreContractOptions {
  create: () => Promise<TaskStoreSubject>;
}

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);
let seq = 0;

/** A valid task row; ids are unique per call so suites can share a backing store. */
export function makeTask(overrides: Partial<Task> = {}): Task {
  seq += 1;
  return {
    id: `task_contract_${process.pid}_${Date.now().toString(36)}_${seq}`,
    type: 'text-to-image',
    model: 'wanx2.1-t2i-turbo',
    status: 'PENDING',
    input: { prompt: 'a red fox' },
    parameters: { n: 1 },
    outputs: [],
    pollCount: 0,
    version: 1,
    createdAt: at(seq).toISOString(),
    updatedAt: at(seq).toISOString(),
    ...overrides,
  };
}

export function runTaskStoreContract(name: string, options: TaskStoreContractOptions): void {
  describe(`TaskStore contract: ${name}`, () => {
    let subject: TaskStoreSubject;
    let store: TaskStore;
    beforeEach(async () => {
      subject = await options.create();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.close();
    });

    it('creates a task once and reads back every field it was given', async () => {
      const task = makeTask({
        metadata: { app: 'a' },
        idempotencyKey: 'k1',
        submitAttemptedAt: at(3).toISOString(),
        dashscopeTaskId: 'ds-1',
        outputs: [{ index: 0, sourceUrl: 'https://x.aliyuncs.com/a.png', sourceExpiresAt: at(100).toISOString(), error: { code: 'c', message: 'm' } }],
        usage: { image_count: 1 },
        cost: { amount: 0.14, currency: 'CNY' },
        dueAt: at(10).toISOString(),
      });
      await store.create(task);
      expect(await store.get(task.id)).toEqual(task);
    });

    it('keeps a fine-tune task and the model id its update records', async () => {
      const task = makeTask({ type: 'fine-tune', model: 'qwen-plus', input: { training_file: 'inbox/a/ft.jsonl', examples: 60 }, parameters: { hyper_parameters: { n_epochs: 2 } }, status: 'RUNNING' });
      await store.create(task);
      await store.update(task.id, task.version, { status: 'SUCCEEDED', fineTunedModel: 'qwen-plus-ft-202612031200-ab12', usage: { training_tokens: 1234 } }, at(20));
      expect(await store.get(task.id)).toMatchObject({ type: 'fine-tune', input: task.input, fineTunedModel: 'qwen-plus-ft-202612031200-ab12', usage: { training_tokens: 1234 } });
    });

    it('rejects a second create of the same id with TaskAlreadyExistsError and keeps the first row', async () => {
      const task = makeTask();
      await store.create(task);
      await expect(store.create({ ...task, model: 'other' })).rejects.toBeInstanceOf(TaskAlreadyExistsError);
      expect((await store.get(task.id))?.model).toBe(task.model);
    });

    it('returns undefined for an unknown id', async () => {
      expect(await store.get('task_does_not_exist')).toBeUndefined();
    });

    it('updates at the expected version: version + 1, updatedAt = now, and the next read sees the write', async () => {
      const task = makeTask();
      await store.create(task);
      const next = await store.update(task.id, 1, { status: 'RUNNING', pollCount: 3 }, at(500));
      expect(next).toMatchObject({ status: 'RUNNING', pollCount: 3, version: 2, updatedAt: at(500).toISOString(), createdAt: task.createdAt });
      expect(await store.get(task.id)).toEqual(next);
    });

    it('clears fields given as undefined in the patch and leaves absent ones alone', async () => {
      const task = makeTask({ dueAt: at(1).toISOString(), error: { code: 'x', message: 'y' }, dashscopeTaskId: 'keep' });
      await store.create(task);
      const sent = await store.update(task.id, 1, { submitAttemptedAt: at(2).toISOString() }, at(2));
      expect((await store.get(task.id))?.submitAttemptedAt).toBe(at(2).toISOString());
      const next = await store.update(task.id, sent.version, { dueAt: undefined, error: undefined, submitAttemptedAt: undefined }, at(2));
      expect(next.submitAttemptedAt).toBeUndefined();
      expect(next.dueAt).toBeUndefined();
      expect(next.error).toBeUndefined();
      expect(next.dashscopeTaskId).toBe('keep');
      const read = await store.get(task.id);
      expect(read && ('dueAt' in read || 'submitAttemptedAt' in read)).toBe(false);
      expect(read?.dashscopeTaskId).toBe('keep');
    });

    it('rejects an update at a stale version with TaskConflictError and a missing row with TaskNotFoundError', async () => {
      const task = makeTask();
      await store.create(task);
      await store.update(task.id, 1, { pollCount: 1 }, at(2));
      await expect(store.update(task.id, 1, { pollCount: 9 }, at(3))).rejects.toBeInstanceOf(TaskConflictError);
      expect((await store.get(task.id))?.pollCount).toBe(1);
      await expect(store.update('task_missing', 1, {}, at(3))).rejects.toBeInstanceOf(TaskNotFoundError);
    });

    it('lets exactly one of two concurrent updates at the same version win; the other gets TaskConflictError', async () => {
      const task = makeTask();
      await store.create(task);
      const other = subject.peer ?? store;
      const results = await Promise.allSettled([
        store.update(task.id, 1, { status: 'RUNNING' }, at(2)),
        other.update(task.id, 1, { status: 'CANCELED' }, at(2)),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toBeInstanceOf(TaskConflictError);
      const winner = (won[0] as PromiseFulfilledResult<Task>).value;
      expect(await store.get(task.id)).toEqual(winner);
    });

    it('lists only due tasks with a free lease, oldest due first, up to the limit', async () => {
      const now = at(1000);
      const due = [makeTask({ dueAt: at(990).toISOString() }), makeTask({ dueAt: at(900).toISOString() }), makeTask({ dueAt: at(1000).toISOString() })];
      const future = makeTask({ dueAt: at(1001).toISOString() });
      const none = makeTask({ status: 'PERSISTED' });
      const leased = makeTask({ dueAt: at(10).toISOString(), leaseOwner: 'w1', leaseUntil: at(1100).toISOString() });
      const expiredLease = makeTask({ dueAt: at(950).toISOString(), leaseOwner: 'w1', leaseUntil: at(999).toISOString() });
      for (const t of [...due, future, none, leased, expiredLease]) await store.create(t);
      const mine = new Set([...due, future, none, leased, expiredLease].map((t) => t.id));

      const listed = (await store.listDue(now, 100)).filter((t) => mine.has(t.id)).map((t) => t.id);
      expect(listed).toEqual([due[1]!.id, expiredLease.id, due[0]!.id, due[2]!.id]);
      const full = await store.listDue(now, 100);
      expect(await store.listDue(now, 2)).toEqual(full.slice(0, 2));
    });

    it('stops listing a task once it reaches a terminal status with its dueAt cleared', async () => {
      const task = makeTask({ dueAt: at(5).toISOString() });
      await store.create(task);
      expect((await store.listDue(at(10), 100)).map((t) => t.id)).toContain(task.id);
      await store.update(task.id, 1, { status: 'FAILED', dueAt: undefined }, at(6));
      expect((await store.listDue(at(10), 100)).map((t) => t.id)).not.toContain(task.id);
    });

    it('gives a lease to exactly one of two racing owners and hides the task from listDue while it is held', async () => {
      const task = makeTask({ dueAt: at(1).toISOString() });
      await store.create(task);
      const other = subject.peer ?? store;
      const [a, b] = await Promise.all([
        store.tryLease(task.id, 'owner-a', at(60), at(2)),
        other.tryLease(task.id, 'owner-b', at(60), at(2)),
      ]);
      const winners = [a, b].filter((x) => x !== undefined);
      expect(winners).toHaveLength(1);
      const leasedRow = winners[0]!;
      expect(leasedRow.version).toBe(2);
      expect(leasedRow.leaseUntil).toBe(at(60).toISOString());
      expect(await store.get(task.id)).toEqual(leasedRow);
      expect((await store.listDue(at(30), 100)).map((t) => t.id)).not.toContain(task.id);
      expect(await store.tryLease(task.id, leasedRow.leaseOwner === 'owner-a' ? 'owner-b' : 'owner-a', at(90), at(30))).toBeUndefined();
    });

    it('lets another owner take a lease once it has expired', async () => {
      const task = makeTask({ dueAt: at(1).toISOString() });
      await store.create(task);
      expect(await store.tryLease(task.id, 'owner-a', at(60), at(2))).toBeDefined();
      expect((await store.listDue(at(61), 100)).map((t) => t.id)).toContain(task.id);
      const taken = await store.tryLease(task.id, 'owner-b', at(120), at(61));
      expect(taken).toMatchObject({ leaseOwner: 'owner-b', leaseUntil: at(120).toISOString(), version: 3 });
    });

    itKeepsLeasesExclusiveUnderALaggingIndex(() => subject, at);
    itListsByTenant(() => subject);

    it('returns undefined from tryLease for an unknown id', async () => {
      expect(await store.tryLease('task_missing', 'o', at(2), at(1))).toBeUndefined();
    });

    it('pages through listByStatus with a cursor, every matching task exactly once', async () => {
      const created: Task[] = [];
      for (let i = 0; i < 7; i++) created.push(makeTask({ status: 'RUNNING' }));
      for (let i = 0; i < 3; i++) created.push(makeTask({ status: 'FAILED' }));
      for (const t of created) await store.create(t);
      const mine = new Set(created.map((t) => t.id));

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listByStatus('RUNNING', 3, cursor);
        expect(page.tasks.length).toBeLessThanOrEqual(3);
        expect(page.tasks.every((t) => t.status === 'RUNNING')).toBe(true);
        seen.push(...page.tasks.map((t) => t.id));
        cursor = page.next;
        pages += 1;
      } while (cursor && pages < 100);
      const ours = seen.filter((id) => mine.has(id));
      expect(new Set(ours).size).toBe(ours.length);
      expect(ours.sort()).toEqual(created.filter((t) => t.status === 'RUNNING').map((t) => t.id).sort());

      const all: string[] = [];
      cursor = undefined;
      pages = 0;
      do {
        const page = await store.listByStatus(undefined, 4, cursor);
        all.push(...page.tasks.map((t) => t.id));
        cursor = page.next;
        pages += 1;
      } while (cursor && pages < 100);
      expect(all.filter((id) => mine.has(id)).sort()).toEqual([...mine].sort());
    });

    /** Every page of a listing, in the order served: ids only, and the size of each page. */
    async function listAll(status: TaskStatus | undefined, limit: number, order?: ListOrder): Promise<{ ids: string[]; sizes: number[] }> {
      const ids: string[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listByStatus(status, limit, cursor, order);
        if (status) expect(page.tasks.every((t) => t.status === status)).toBe(true);
        ids.push(...page.tasks.map((t) => t.id));
        sizes.push(page.tasks.length);
        cursor = page.next;
      } while (cursor && sizes.length < 100);
      return { ids, sizes };
    }

    /** Oldest first, ties by id: the order 'asc' promises. */
    const byCreation = (a: Task, b: Task) => a.createdAt.localeCompare(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

    it('lists oldest first by default and with asc, newest first with desc, ties broken by id, a page at a time', async () => {
      const tie = makeTask().createdAt;
      const created = [makeTask(), makeTask({ createdAt: tie }), makeTask({ createdAt: tie }), makeTask(), makeTask()];
      for (const t of [...created].reverse()) await store.create(t);
      const mine = new Set(created.map((t) => t.id));
      const oldestFirst = [...created].sort(byCreation).map((t) => t.id);

      for (const order of [undefined, 'asc'] as const) {
        const { ids, sizes } = await listAll(undefined, 2, order);
        expect(ids.filter((id) => mine.has(id))).toEqual(oldestFirst);
        expect(sizes.every((n) => n <= 2)).toBe(true);
      }
      const { ids } = await listAll(undefined, 2, 'desc');
      expect(ids.filter((id) => mine.has(id))).toEqual([...oldestFirst].reverse());
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('pages a status in either order with cursors: every matching task once, in order, no others', async () => {
      const created: Task[] = [];
      for (let i = 0; i < 7; i++) created.push(makeTask({ status: 'RUNNING' }));
      for (let i = 0; i < 3; i++) created.push(makeTask({ status: 'FAILED' }));
      for (const t of created) await store.create(t);
      const mine = new Set(created.map((t) => t.id));
      const running = created.filter((t) => t.status === 'RUNNING').sort(byCreation).map((t) => t.id);

      const asc = await listAll('RUNNING', 3, 'asc');
      expect(asc.ids.filter((id) => mine.has(id))).toEqual(running);
      const desc = await listAll('RUNNING', 3, 'desc');
      expect(desc.ids.filter((id) => mine.has(id))).toEqual([...running].reverse());
      expect(new Set(desc.ids).size).toBe(desc.ids.length);
      expect((await listAll('FAILED', 2, 'desc')).ids.filter((id) => mine.has(id))).toEqual(created.filter((t) => t.status === 'FAILED').sort(byCreation).map((t) => t.id).reverse());
    });

    it('refuses a cursor from the other order with TaskStoreError', async () => {
      for (let i = 0; i < 3; i++) await store.create(makeTask());
      const desc = await store.listByStatus(undefined, 1, undefined, 'desc');
      const asc = await store.listByStatus(undefined, 1, undefined, 'asc');
      await expect(store.listByStatus(undefined, 1, desc.next, 'asc')).rejects.toBeInstanceOf(TaskStoreError);
      await expect(store.listByStatus(undefined, 1, asc.next, 'desc')).rejects.toBeInstanceOf(TaskStoreError);
    });

    it('records an idempotency key once and hands the first record to every later caller', async () => {
      const key = `idem_${makeTask().id}`;
      const first = { key, taskId: 'task_a', requestHash: 'h1', createdAt: at(1).toISOString() };
      const results = await Promise.all([
        store.putIdempotencyKey(first),
        (subject.peer ?? store).putIdempotencyKey({ ...first, taskId: 'task_b', requestHash: 'h2' }),
      ]);
      const created = results.filter((r) => r === undefined);
      expect(created).toHaveLength(1);
      const winner = results[0] === undefined ? first : { ...first, taskId: 'task_b', requestHash: 'h2' };
      expect(results.find((r) => r !== undefined)).toEqual(winner);
      expect(await store.putIdempotencyKey({ ...first, taskId: 'task_c' })).toEqual(winner);
    });
  });
}
