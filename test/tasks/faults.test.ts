// Fault tests against the emulator: concurrent pollers, a crash between every two steps, 429 storms and 5xx
// on task queries, and ambiguous creates. Each ends with every task PERSISTED exactly once or terminal with a
// clear error, each event published once (by id), and no create ever sent twice.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../../shared/domain/task.ts';
import { submitTask } from '../../shared/use-cases/tasks/submit-task.ts';
import { StepCrash, type StepName } from '../../shared/use-cases/tasks/task-deps.ts';
import { parseTaskRequest, type TaskRequest } from '../../shared/use-cases/tasks/task-request.ts';
import { createEmulatorHarness, type EmulatorHarness } from './emulator-harness.ts';

const image = parseTaskRequest({ type: 'text-to-image', input: { prompt: 'a fox' }, parameters: { n: 2, size: '512*512' } });
const video = parseTaskRequest({ type: 'text-to-video', input: { prompt: 'waves' }, parameters: { size: '832*480' } });
const LIFECYCLE = ['task.submitted', 'task.succeeded', 'task.persisted'];

let h: EmulatorHarness;
let seq = 0;
beforeEach(async () => {
  h = await createEmulatorHarness();
});
afterEach(async () => {
  await h.close();
});

const submit = async (req: TaskRequest, hooks?: Parameters<EmulatorHarness['taskDeps']>[0]) =>
  submitTask(h.taskDeps(hooks), { request: req, tenant: 'acme', requestId: `req-${++seq}` }, h.timings);

/** PERSISTED, every output copied with the emulator's exact bytes, and each lifecycle event once. */
async function expectPersistedOnce(task: Task): Promise<void> {
  expect(task.status).toBe('PERSISTED');
  expect(task.outputs.length).toBeGreaterThan(0);
  for (const o of task.outputs) {
    expect(o.error).toBeUndefined();
    expect(o.sha256).toBe(await h.emu.media.expectedSha256(o.sourceUrl!));
    expect((await h.deps.objects.head(o.key!))?.bytes).toBe(o.bytes);
  }
  expect(h.eventsOf(task.id).types).toEqual(LIFECYCLE);
}

/** Task query intervals per upstream task, to check no two ever overlapped. */
function overlappingQueries(): number {
  const byTask = new Map<string, { start: number; end: number }[]>();
  for (const r of h.emu.requests) {
    const m = /^\/api\/v1\/tasks\/([^/]+)$/.exec(r.path);
    if (!m || r.method !== 'GET') continue;
    byTask.set(m[1]!, [...(byTask.get(m[1]!) ?? []), { start: r.startedAt, end: r.endedAt ?? r.startedAt }]);
  }
  let overlaps = 0;
  for (const spans of byTask.values()) {
    spans.sort((a, b) => a.start - b.start);
    for (let i = 1; i < spans.length; i++) if (spans[i]!.start < spans[i - 1]!.end) overlaps++;
  }
  return overlaps;
}

describe('task lifecycle under faults', () => {
  it('four pollers at once: each task polled by one at a time, one transition and one event of each kind', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await submit(i % 3 ? image : video)).task.id);
    // 4 × 4 QPS stays under the account's 20.
    const runs = await Promise.all([1, 2, 3, 4].map(() => h.poll({ queriesPerSecond: 4, concurrency: 3 })));
    expect(runs.reduce((n, r) => n + r.claimed, 0)).toBeGreaterThan(0);
    const tasks = await h.settle(ids);
    for (const t of tasks) {
      await expectPersistedOnce(t);
      expect(h.eventsOf(t.id).raw).toBe(3);
    }
    expect(overlappingQueries()).toBe(0);
    expect(h.emu.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(h.creates()).toBe(12);
  });

  const submitSteps: StepName[] = ['submit:row-written', 'submit:attempt-recorded', 'submit:upstream-created', 'submit:claimed', 'submit:transitioned'];
  it.each(submitSteps)('recovers when submit stops at %s, without a second create', async (at) => {
    const crash = { step: (s: StepName) => { if (s === at) throw new Error('process died'); } };
    const err = await submit(image, crash).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepCrash);
    const [queued] = (await h.deps.tasks.listByStatus(undefined, 10)).tasks;
    const [task] = await h.settle([queued!.id]);
    if (at === 'submit:attempt-recorded') {
      // The attempt was recorded but never sent: indistinguishable from a lost answer, so never re-sent.
      expect(task).toMatchObject({ status: 'FAILED', error: { code: 'SubmissionAmbiguous' } });
      expect(h.creates()).toBe(0);
      expect(h.eventsOf(task!.id).types).toEqual(['task.failed']);
      return;
    }
    await expectPersistedOnce(task!);
    expect(h.creates()).toBe(1);
  });

  const pollSteps: StepName[] = ['poll:leased', 'poll:queried', 'poll:manifest-written', 'poll:transitioned'];
  it.each(pollSteps)('recovers when a poll stops at %s, and persists once', async (at) => {
    const { task } = await submit(image);
    let crashed = false;
    const hooks = {
      step: async (s: StepName) => {
        if (s !== at || crashed) return;
        // After a transition, stop only once the task is SUCCEEDED: the point where most is at stake.
        if (at === 'poll:transitioned' && (await h.deps.tasks.get(task.id))?.status !== 'SUCCEEDED') return;
        crashed = true;
        throw new Error('process died');
      },
    };
    await expect(h.poll({}, hooks)).rejects.toBeInstanceOf(StepCrash);
    expect(crashed).toBe(true);
    const [done] = await h.settle([task.id]);
    await expectPersistedOnce(done!);
    expect(h.creates()).toBe(1);
  });

  it('recovers when a re-drive stops after rewriting the manifest', async () => {
    // Downloads fail (as if persist-to-oss could not reach the results), so the task waits SUCCEEDED.
    h.emu.faults.add({ match: { path: '/results/' }, times: 10_000, fault: { kind: 'status', status: 503 } });
    const { task } = await submit(image);
    await h.settle([task.id], 1);
    expect((await h.deps.tasks.get(task.id))?.status).toBe('SUCCEEDED');
    h.emu.clock.advance(h.timings.redriveAfterMs);
    let crashed = false;
    await expect(
      h.poll({}, { step: (s) => { if (s === 'poll:redrive-written' && !crashed) { crashed = true; throw new Error('died'); } } }),
    ).rejects.toBeInstanceOf(StepCrash);
    await h.idle();
    expect((await h.deps.tasks.get(task.id))?.status).toBe('SUCCEEDED');
    h.emu.faults.clear();
    const [done] = await h.settle([task.id]);
    await expectPersistedOnce(done!);
  });

  it('gets through 429 storms and 5xx on task queries', async () => {
    h.emu.faults.add({ match: { path: '/api/v1/tasks/' }, times: 8, fault: { kind: 'status', status: 429 } });
    h.emu.faults.add({ match: { path: '/api/v1/tasks/' }, times: 4, fault: { kind: 'status', status: 500 } });
    const ids = [(await submit(image)).task.id, (await submit(video)).task.id];
    const tasks = await h.settle(ids, 12);
    for (const t of tasks) await expectPersistedOnce(t);
    expect(h.emu.requests.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(8);
    expect(h.creates()).toBe(2);
  });

  it('never re-sends an ambiguous create (reset after commit) and adopts the one task it made', async () => {
    h.emu.faults.add({ match: { path: '/api/v1/services/' }, times: 1, fault: { kind: 'reset-after-commit' } });
    const r = await submit(video);
    expect(r.kind).toBe('ambiguous');
    expect(h.emu.tasks.list()).toHaveLength(1);
    const [done] = await h.settle([r.task.id]);
    await expectPersistedOnce(done!);
    expect(done!.dashscopeTaskId).toBe(h.emu.tasks.list()[0]!.taskId);
    expect(h.creates()).toBe(1);
  });

  it('ends a create that hung as SubmissionAmbiguous when DashScope has no such task, without re-sending it', async () => {
    h.emu.faults.add({ match: { path: '/api/v1/services/' }, times: 1, fault: { kind: 'hang' } });
    const r = await submit(image);
    expect(r.kind).toBe('ambiguous');
    const [done] = await h.settle([r.task.id]);
    expect(done).toMatchObject({ status: 'FAILED', error: { code: 'SubmissionAmbiguous' } });
    expect(done!.error!.message).toMatch(/may still exist upstream/);
    expect(h.creates()).toBe(1);
  });
});
