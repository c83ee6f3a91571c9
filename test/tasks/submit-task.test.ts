import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pollDueTasks } from '../../shared/use-cases/tasks/poll-due-tasks.ts';
import { submitTask } from '../../shared/use-cases/tasks/submit-task.ts';
import { IdempotencyKeyReusedError } from '../../shared/use-cases/tasks/task-errors.ts';
import { parseTaskRequest } from '../../shared/use-cases/tasks/task-request.ts';
import { FakeDashScope } from './fake-dashscope.ts';
import { createTaskHarness, type TaskHarness } from './harness.ts';

const image = parseTaskRequest({ type: 'text-to-image', input: { prompt: 'a fox' }, parameters: { n: 2 } });

describe('submitTask', () => {
  let ds: FakeDashScope;
  let h: TaskHarness;
  beforeEach(() => {
    ds = new FakeDashScope();
    h = createTaskHarness(ds);
  });
  afterEach(() => h.close());

  it('writes the QUEUED row with the attempt recorded before DashScope is called, then moves it to PENDING', async () => {
    const seen: unknown[] = [];
    ds.onCreate = async () => {
      const { tasks } = await h.tasks.listByStatus('QUEUED', 10);
      seen.push(...tasks.map((t) => ({ status: t.status, attempted: typeof t.submitAttemptedAt })));
    };
    const r = await submitTask(h.deps, { request: image, tenant: 'acme', requestId: 'r1' }, h.timings);
    expect(seen).toEqual([{ status: 'QUEUED', attempted: 'string' }]);
    expect(r.kind).toBe('submitted');
    const stored = await h.tasks.get(r.task.id);
    expect(stored).toMatchObject({ status: 'PENDING', dashscopeTaskId: 'ds-1', dashscopeRequestId: 'req-ds-1', pollCount: 0 });
    expect(stored?.leaseOwner).toBeUndefined();
    expect(ds.creates).toEqual([{ model: 'wanx2.1-t2i-turbo', input: { prompt: 'a fox' }, parameters: { size: '1024*1024', n: 2 } }]);
    expect(h.eventsOf(r.task.id).map((e) => [e.type, e.id])).toEqual([['task.submitted', `${r.task.id}.task.submitted`]]);
  });

  it('returns the same task for a repeated request under one Idempotency-Key and sends one create', async () => {
    const a = await submitTask(h.deps, { request: image, tenant: 'acme', idempotencyKey: 'k-1', requestId: 'r1' }, h.timings);
    const b = await submitTask(h.deps, { request: image, tenant: 'acme', idempotencyKey: 'k-1', requestId: 'r2' }, h.timings);
    expect(b.kind).toBe('replayed');
    expect(b.task.id).toBe(a.task.id);
    expect(ds.creates).toHaveLength(1);
  });

  it('refuses a different request under a used Idempotency-Key with 422 and creates nothing', async () => {
    await submitTask(h.deps, { request: image, tenant: 'acme', idempotencyKey: 'k-2', requestId: 'r1' }, h.timings);
    const other = parseTaskRequest({ type: 'text-to-image', input: { prompt: 'a wolf' } });
    const e = await submitTask(h.deps, { request: other, tenant: 'acme', idempotencyKey: 'k-2', requestId: 'r2' }, h.timings).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(ds.creates).toHaveLength(1);
    expect((await h.tasks.listByStatus(undefined, 10)).tasks).toHaveLength(1);
  });

  it('sends one create when the same key arrives twice at once', async () => {
    const [a, b] = await Promise.all([
      submitTask(h.deps, { request: image, tenant: 'acme', idempotencyKey: 'k-3', requestId: 'r1' }, h.timings),
      submitTask(h.deps, { request: image, tenant: 'acme', idempotencyKey: 'k-3', requestId: 'r2' }, h.timings),
    ]);
    expect(a.task.id).toBe(b.task.id);
    expect(ds.creates).toHaveLength(1);
  });

  it('marks the task FAILED with DashScope code and message when DashScope rejects the create', async () => {
    ds.createFaults = ['reject'];
    const r = await submitTask(h.deps, { request: image, tenant: 'acme', requestId: 'r1' }, h.timings);
    expect(r.kind).toBe('rejected');
    expect(await h.tasks.get(r.task.id)).toMatchObject({ status: 'FAILED', error: { code: 'InvalidParameter', message: 'Model not exist.' } });
    expect((await h.tasks.get(r.task.id))?.dueAt).toBeUndefined();
    expect(h.eventsOf(r.task.id).map((e) => e.type)).toEqual(['task.failed']);
  });

  it('leaves a throttled create QUEUED without an attempt, and poll-task submits it later', async () => {
    ds.createFaults = ['throttle'];
    const r = await submitTask(h.deps, { request: image, tenant: 'acme', requestId: 'r1' }, h.timings);
    expect(r.kind).toBe('deferred');
    expect(await h.tasks.get(r.task.id)).toMatchObject({ status: 'QUEUED', pollCount: 1 });
    expect((await h.tasks.get(r.task.id))?.submitAttemptedAt).toBeUndefined();
    await pollDueTasks(h.deps, { requestId: 'p1' }, h.pollOptions());
    expect(ds.creates).toHaveLength(1);
    expect((await h.tasks.get(r.task.id))?.status).toBe('SUCCEEDED');
  });

  it('never re-sends an ambiguous create: the task stays QUEUED until it is reconciled', async () => {
    ds.createFaults = ['ambiguous'];
    const r = await submitTask(h.deps, { request: image, tenant: 'acme', requestId: 'r1' }, h.timings);
    expect(r.kind).toBe('ambiguous');
    const queued = await h.tasks.get(r.task.id);
    expect(queued).toMatchObject({ status: 'QUEUED' });
    expect(queued?.submitAttemptedAt).toBeDefined();
    expect(ds.tasks.size).toBe(1);
    // Before the reconcile delay nothing happens; after it, the one upstream task is adopted.
    await pollDueTasks(h.deps, { requestId: 'p1' }, h.pollOptions({ maxRunMs: 50 }));
    expect((await h.tasks.get(r.task.id))?.status).toBe('QUEUED');
    h.clock.advance(h.timings.reconcileAfterMs);
    await pollDueTasks(h.deps, { requestId: 'p2' }, h.pollOptions());
    expect(await h.tasks.get(r.task.id)).toMatchObject({ status: 'SUCCEEDED', dashscopeTaskId: 'ds-1' });
    expect(ds.tasks.size).toBe(1);
    expect(h.eventsOf(r.task.id).map((e) => e.type)).toEqual(['task.submitted', 'task.succeeded']);
  });

  it('fails an ambiguous create as SubmissionAmbiguous when two upstream tasks could be it', async () => {
    ds.createFaults = ['ambiguous'];
    const r = await submitTask(h.deps, { request: image, tenant: 'acme', requestId: 'r1' }, h.timings);
    // Another client made a task of the same model at the same moment (not claimed by any task of ours).
    await ds.createTask('text2image', { model: image.model, input: { prompt: 'other' }, parameters: {} });
    h.clock.advance(h.timings.reconcileAfterMs);
    await pollDueTasks(h.deps, { requestId: 'p1' }, h.pollOptions());
    const t = await h.tasks.get(r.task.id);
    expect(t).toMatchObject({ status: 'FAILED', error: { code: 'SubmissionAmbiguous' } });
    expect(t?.error?.message).toMatch(/may be this task/);
    expect(ds.creates).toHaveLength(2);
  });

  it('does not adopt an upstream task another task already owns', async () => {
    const owner = await submitTask(h.deps, { request: image, tenant: 'acme', requestId: 'r0' }, h.timings);
    // The ambiguous create never landed: only the first task's upstream task is listed.
    ds.createFaults = ['ambiguous-lost'];
    const lost = await submitTask(h.deps, { request: image, tenant: 'acme', requestId: 'r1' }, h.timings);
    expect(lost.kind).toBe('ambiguous');
    const queued = (await h.tasks.listByStatus('QUEUED', 10)).tasks[0]!;
    h.clock.advance(h.timings.reconcileAfterMs + 60_000);
    await pollDueTasks(h.deps, { requestId: 'p1' }, h.pollOptions());
    expect(await h.tasks.get(queued.id)).toMatchObject({ status: 'FAILED', error: { code: 'SubmissionAmbiguous' } });
    expect((await h.tasks.get(owner.task.id))?.dashscopeTaskId).toBe('ds-1');
  });
});
