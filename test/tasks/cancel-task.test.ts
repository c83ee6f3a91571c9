import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cancelTask, NOT_PENDING_MESSAGE } from '../../shared/use-cases/tasks/cancel-task.ts';
import { CANCELABLE_STATUSES, TaskNotCancelableError, UnknownTaskError } from '../../shared/use-cases/tasks/task-errors.ts';
import { pollDueTasks } from '../../shared/use-cases/tasks/poll-due-tasks.ts';
import { submitTask } from '../../shared/use-cases/tasks/submit-task.ts';
import { parseTaskRequest } from '../../shared/use-cases/tasks/task-request.ts';
import { FakeDashScope } from './fake-dashscope.ts';
import { createTaskHarness, type TaskHarness } from './harness.ts';

const video = parseTaskRequest({ type: 'text-to-video', input: { prompt: 'waves' } });
/** The tenant that submits every task here, canceling its own. */
const app = { tenant: 'acme', role: 'app' } as const;

async function refusal(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof Error)) throw new Error(`expected a refusal, got ${String(e)}`);
  return e;
}

describe('cancelTask', () => {
  let ds: FakeDashScope;
  let h: TaskHarness;
  beforeEach(() => {
    ds = new FakeDashScope();
    ds.defaultPlan = ['PENDING'];
    h = createTaskHarness(ds);
  });
  afterEach(() => h.close());

  it('cancels a PENDING task upstream, then marks it CANCELED and stops polling it', async () => {
    const t = (await submitTask(h.deps, { request: video, tenant: 'acme', requestId: 'r1' }, h.timings)).task;
    const done = await cancelTask(h.deps, t.id, 'c1', app);
    expect(done).toMatchObject({ status: 'CANCELED' });
    expect(done.dueAt).toBeUndefined();
    expect(done.leaseOwner).toBeUndefined();
    expect(ds.cancels).toBe(1);
    expect(h.eventsOf(t.id).map((e) => e.type)).toEqual(['task.submitted', 'task.canceled']);
  });

  it("answers 409 with DashScope's message, the task's status and what can be canceled when DashScope says it is no longer PENDING", async () => {
    const t = (await submitTask(h.deps, { request: video, tenant: 'acme', requestId: 'r1' }, h.timings)).task;
    ds.plan('ds-1', ['RUNNING']);
    const e = await refusal(cancelTask(h.deps, t.id, 'c1', app));
    expect(e).toBeInstanceOf(TaskNotCancelableError);
    expect(e.message).toBe(`task ${t.id} is PENDING here, but DashScope has started it (DashScope: ${NOT_PENDING_MESSAGE}); ${CANCELABLE_STATUSES}`);
    const after = await h.tasks.get(t.id);
    expect(after?.status).toBe('PENDING');
    expect(after?.leaseOwner).toBeUndefined();
  });

  it('answers 409 naming the status and the cancelable ones, without asking DashScope, for a RUNNING task', async () => {
    ds.defaultPlan = ['RUNNING'];
    const t = (await submitTask(h.deps, { request: video, tenant: 'acme', requestId: 'r1' }, h.timings)).task;
    h.clock.advance(1_000);
    await pollDueTasks(h.deps, { requestId: 'p' }, h.pollOptions({ maxRunMs: 200 }));
    expect((await h.tasks.get(t.id))?.status).toBe('RUNNING');
    const e = await refusal(cancelTask(h.deps, t.id, 'c1', app));
    expect(e).toBeInstanceOf(TaskNotCancelableError);
    expect(e.message).toBe(`task ${t.id} is RUNNING; only QUEUED tasks not yet sent to DashScope and PENDING tasks can be canceled`);
    expect(ds.cancels).toBe(0);
  });

  it('cancels a task that was never sent without calling DashScope', async () => {
    ds.createFaults = ['throttle'];
    const t = (await submitTask(h.deps, { request: video, tenant: 'acme', requestId: 'r1' }, h.timings)).task;
    expect(t.status).toBe('QUEUED');
    expect((await cancelTask(h.deps, t.id, 'c1', app)).status).toBe('CANCELED');
    expect(ds.cancels).toBe(0);
    h.clock.advance(60_000);
    await pollDueTasks(h.deps, { requestId: 'p' }, h.pollOptions());
    expect(ds.creates).toHaveLength(0);
  });

  it('answers 404 for an unknown task', async () => {
    expect(await refusal(cancelTask(h.deps, 'task_nope', 'c1', app))).toBeInstanceOf(UnknownTaskError);
  });
});
