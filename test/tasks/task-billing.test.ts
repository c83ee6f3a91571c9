// Tasks in the cost ledger: a task DashScope finished is billed once however often its events come again;
// a failed or canceled task costs nothing and gives back what its submission reserved; a spent budget refuses
// a submission before anything is written.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/domain/tenant.ts';
import { republishTaskEvent } from '../../shared/use-cases/transition-task.ts';
import { BudgetExceededError } from '../../shared/use-cases/guards/guard-errors.ts';
import { cancelTask } from '../../shared/use-cases/tasks/cancel-task.ts';
import { pollDueTasks } from '../../shared/use-cases/tasks/poll-due-tasks.ts';
import { submitTask } from '../../shared/use-cases/tasks/submit-task.ts';
import { parseTaskRequest, type TaskRequest } from '../../shared/use-cases/tasks/task-request.ts';
import { FakeDashScope } from './fake-dashscope.ts';
import { createTaskHarness, type TaskHarness } from './harness.ts';

const image = (n = 2): TaskRequest => parseTaskRequest({ type: 'text-to-image', input: { prompt: 'a fox' }, parameters: { n } });
const acme: Principal = { tenant: 'acme', role: 'app', limits: {}, budgets: {} };

describe('tasks in the cost ledger', () => {
  let ds: FakeDashScope;
  let h: TaskHarness;
  const start = (env: Record<string, string> = {}) => {
    ds = new FakeDashScope();
    h = createTaskHarness(ds, { BUDGET_DAILY_USD: '1', CNY_PER_USD: '7.2', ...env });
  };
  beforeEach(() => start());
  afterEach(() => h.close());

  const submit = async (req: TaskRequest) => (await submitTask(h.deps, { request: req, tenant: 'acme', principal: acme, requestId: `r-${Math.random()}` }, h.timings)).task;
  const poll = () => pollDueTasks(h.deps, { requestId: `p-${Math.random()}` }, h.pollOptions());
  const ledger = async () => (await h.guards.listLedger({ from: new Date(0), to: new Date(h.clock.now().getTime() + 86_400_000), limit: 100 })).entries;
  const dayCounter = async () => (await h.guards.read([`budget|global|day|${h.clock.now().toISOString().slice(0, 10)}`]))[0];

  it('reserves at submission, bills a finished task once, and a duplicated event or a later status records nothing more', async () => {
    const t = await submit(image(2));
    // two images at 0.14 CNY reserved while DashScope works
    expect(await dayCounter()).toMatchObject({ held: 280_000, spent: 0 });
    await poll();
    const done = await h.tasks.get(t.id);
    expect(done?.status).toBe('SUCCEEDED');
    expect(await ledger()).toEqual([expect.objectContaining({ id: `task:${t.id}`, tenant: 'acme', model: done?.model, kind: 'task', costMicros: 280_000, units: { image_count: 2 } })]);
    expect(await dayCounter()).toMatchObject({ held: 0, spent: 280_000 });
    // the event delivered again, twice, and the task expiring later: still one entry, spent once
    await republishTaskEvent(h.deps, done!);
    await republishTaskEvent(h.deps, done!);
    h.clock.advance(25 * 3_600_000);
    await poll();
    expect((await h.tasks.get(t.id))?.status).toBe('EXPIRED');
    expect(await ledger()).toHaveLength(1);
    expect((await h.guards.read([`budget|global|day|${done!.updatedAt.slice(0, 10)}`]))[0]).toMatchObject({ held: 0, spent: 280_000 });
  });

  it('bills nothing for a task DashScope failed, and gives its reservation back', async () => {
    ds.defaultPlan = ['RUNNING', 'FAILED'];
    const t = await submit(image(2));
    await poll();
    await poll();
    expect((await h.tasks.get(t.id))?.status).toBe('FAILED');
    expect(await ledger()).toEqual([]);
    expect(await dayCounter()).toMatchObject({ held: 0, spent: 0 });
  });

  it('bills nothing for a canceled task, and gives its reservation back', async () => {
    ds.defaultPlan = ['PENDING'];
    const t = await submit(image(1));
    expect(await dayCounter()).toMatchObject({ held: 140_000 });
    await cancelTask(h.deps, t.id, 'c1', acme);
    expect((await h.tasks.get(t.id))?.status).toBe('CANCELED');
    expect(await ledger()).toEqual([]);
    expect(await dayCounter()).toMatchObject({ held: 0, spent: 0 });
  });

  it('refuses a submission once the budget is reserved or spent, writing no task', async () => {
    h.close();
    start({ BUDGET_DAILY_USD: '0.03' }); // 216,000 micro-CNY
    ds.defaultPlan = ['PENDING'];
    await submit(image(2)); // 280,000 reserved from 0: admitted, the one estimate a budget may be overshot by
    const refused = await submit(image(1)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BudgetExceededError);
    expect((await h.tasks.listByStatus(undefined, 10)).tasks).toHaveLength(1);
    expect(ds.creates).toHaveLength(1);
  });
});
