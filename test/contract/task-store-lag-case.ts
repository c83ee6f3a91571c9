// One case of the TaskStore contract, kept apart for size: listDue may lag the rows (an asynchronous index),
// and leases must stay exclusive all the same; a task that fell due is listed once the index catches up.
import { expect, it } from 'vitest';
import type { TaskStoreSubject } from './task-store-contract.ts';
import { makeTask } from './task-store-contract.ts';

export function itKeepsLeasesExclusiveUnderALaggingIndex(subject: () => TaskStoreSubject, at: (seconds: number) => Date): void {
  it('keeps a lease exclusive while the due query lags the writes, and lists a new task once it catches up', async () => {
    const { store, peer, holdIndexes } = subject();
    const other = peer ?? store;
    const task = makeTask({ dueAt: at(1).toISOString() });
    await store.create(task);
    holdIndexes?.(true);
    try {
      const late = makeTask({ dueAt: at(1).toISOString() });
      await store.create(late);
      expect(await store.tryLease(task.id, 'owner-a', at(60), at(2))).toBeDefined();
      // a lagging listing may still show the task as free; the lease it would lead to is refused all the same
      const listed = await other.listDue(at(3), 100);
      for (const t of listed.filter((x) => x.id === task.id)) expect(await other.tryLease(t.id, 'owner-b', at(90), at(3))).toBeUndefined();
      expect(await other.tryLease(task.id, 'owner-b', at(90), at(3))).toBeUndefined();
      holdIndexes?.(false);
      // caught up: at once when the adapter can say so (holdIndexes), within moments on a real lagging index
      let ids: string[] = [];
      for (let i = 0; i < (holdIndexes ? 1 : 40) && !ids.includes(late.id); i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 50));
        ids = (await store.listDue(at(3), 100)).map((t) => t.id);
      }
      expect(ids).toContain(late.id);
    } finally {
      holdIndexes?.(false);
    }
  });
}
