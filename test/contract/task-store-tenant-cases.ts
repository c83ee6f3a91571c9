// The tenant cases of the TaskStore contract, kept apart for size: a task keeps its owner, and a listing by
// tenant (one status or all, either order, page by page) holds that tenant's tasks only, never an ownerless row.
import { expect, it } from 'vitest';
import type { Task, TaskStatus } from '../../shared/domain/task.ts';
import type { ListOrder } from '../../shared/ports/task-store.ts';
import type { TaskStoreSubject } from './task-store-contract.ts';
import { makeTask } from './task-store-contract.ts';

/** Tenant names unique per run, so suites sharing a real backing store do not see each other's tasks. */
const tenantName = (label: string) => `${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

export function itListsByTenant(subject: () => TaskStoreSubject): void {
  /** Every page of a listing, in the order served. */
  async function listAll(status: TaskStatus | undefined, limit: number, order: ListOrder, tenant?: string): Promise<Task[]> {
    const out: Task[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await subject().store.listByStatus(status, limit, cursor, order, tenant);
      expect(page.tasks.length).toBeLessThanOrEqual(limit);
      out.push(...page.tasks);
      cursor = page.next;
      pages += 1;
    } while (cursor && pages < 100);
    return out;
  }
  const byCreation = (a: Task, b: Task) => a.createdAt.localeCompare(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

  it('keeps the tenant a task was created with, through updates and leases', async () => {
    const { store } = subject();
    const task = makeTask({ tenant: tenantName('keep') });
    await store.create(task);
    expect(await store.get(task.id)).toEqual(task);
    const updated = await store.update(task.id, 1, { status: 'RUNNING' }, new Date(Date.parse(task.createdAt) + 1_000));
    expect(updated.tenant).toBe(task.tenant);
    expect((await store.get(task.id))?.tenant).toBe(task.tenant);
  });

  it("lists one tenant's tasks only, of one status or all, in either order and page by page", async () => {
    const { store } = subject();
    const a = tenantName('a');
    const b = tenantName('b');
    const created = [
      ...Array.from({ length: 5 }, () => makeTask({ tenant: a, status: 'RUNNING' })),
      ...Array.from({ length: 2 }, () => makeTask({ tenant: a, status: 'FAILED' })),
      ...Array.from({ length: 3 }, () => makeTask({ tenant: b, status: 'RUNNING' })),
      // written before tasks had owners: in no tenant's listing, in the listing of all
      makeTask({ status: 'RUNNING' }),
    ];
    for (const t of created) await store.create(t);
    const ids = (tasks: Task[]) => tasks.map((t) => t.id);
    const of = (tenant: string | undefined, status?: TaskStatus) => created.filter((t) => t.tenant === tenant && (!status || t.status === status)).sort(byCreation);

    for (const order of ['asc', 'desc'] as const) {
      const turn = (tasks: Task[]) => (order === 'asc' ? tasks : [...tasks].reverse());
      expect(ids(await listAll('RUNNING', 2, order, a))).toEqual(ids(turn(of(a, 'RUNNING'))));
      expect(ids(await listAll(undefined, 3, order, a))).toEqual(ids(turn(of(a))));
      expect(ids(await listAll('RUNNING', 2, order, b))).toEqual(ids(turn(of(b, 'RUNNING'))));
      expect(await listAll('FAILED', 2, order, b)).toEqual([]);
    }
    expect(await listAll(undefined, 5, 'desc', tenantName('nobody'))).toEqual([]);
    const everyone = new Set(ids(await listAll('RUNNING', 4, 'asc')));
    for (const t of created.filter((x) => x.status === 'RUNNING')) expect(everyone.has(t.id)).toBe(true);
  });
}
