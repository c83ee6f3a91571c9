import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manifestKey, manifestSchema } from '../../shared/domain/manifest.ts';
import { EventPublishError, type DomainEvent } from '../../shared/ports/event-bus.ts';
import { readManifest } from '../../shared/use-cases/tasks/manifest-writer.ts';
import { pollDueTasks } from '../../shared/use-cases/tasks/poll-due-tasks.ts';
import { submitTask } from '../../shared/use-cases/tasks/submit-task.ts';
import { parseTaskRequest, type TaskRequest } from '../../shared/use-cases/tasks/task-request.ts';
import { FakeDashScope } from './fake-dashscope.ts';
import { createTaskHarness, type TaskHarness } from './harness.ts';

const image = (n = 2): TaskRequest => parseTaskRequest({ type: 'text-to-image', input: { prompt: 'a fox' }, parameters: { n } });
const video = parseTaskRequest({ type: 'text-to-video', input: { prompt: 'waves' }, parameters: { size: '832*480', duration: 10 } });

describe('pollDueTasks', () => {
  let ds: FakeDashScope;
  let h: TaskHarness;
  let manifestWrites: string[];
  beforeEach(() => {
    ds = new FakeDashScope();
    h = createTaskHarness(ds);
    manifestWrites = [];
    h.objects.onObjectCreated((e) => manifestWrites.push(e.meta.key));
  });
  afterEach(() => h.close());

  const submit = async (req: TaskRequest) => (await submitTask(h.deps, { request: req, tenant: 'acme', requestId: `r-${Math.random()}` }, h.timings)).task;
  const poll = (o = {}) => pollDueTasks(h.deps, { requestId: `p-${Math.random()}` }, h.pollOptions(o));

  it('follows an image task to SUCCEEDED and writes the manifest first, with URLs, expiry and usage', async () => {
    const t = await submit(image(2));
    await poll();
    const done = await h.tasks.get(t.id);
    expect(done).toMatchObject({ status: 'SUCCEEDED', usage: { image_count: 2 }, cost: { amount: 0.28, currency: 'CNY' } });
    expect(done?.outputs.map((o) => o.sourceUrl)).toEqual([ds.urlFor('ds-1', 0, 'png'), ds.urlFor('ds-1', 1, 'png')]);
    expect(done?.leaseOwner).toBeUndefined();
    expect(ds.queries).toBe(2);
    const manifest = await readManifest(h.objects, t.id);
    expect(manifestSchema.parse(manifest)).toMatchObject({ taskId: t.id, type: 'text-to-image', dashscopeTaskId: 'ds-1', usage: { image_count: 2 } });
    expect(manifest?.outputs).toEqual(done?.outputs.map((o) => ({ index: o.index, url: o.sourceUrl, expiresAt: o.sourceExpiresAt, kind: 'image' })));
    expect(manifestWrites).toEqual([manifestKey(t.id)]);
    expect(h.eventsOf(t.id).map((e) => e.type)).toEqual(['task.submitted', 'task.succeeded']);
  });

  it('prices a video by its seconds and resolution tier', async () => {
    const t = await submit(video);
    await poll();
    expect(await h.tasks.get(t.id)).toMatchObject({ status: 'SUCCEEDED', cost: { amount: 3, currency: 'CNY' }, outputs: [{ index: 0, sourceUrl: ds.urlFor('ds-1', 0, 'mp4') }] });
    expect((await readManifest(h.objects, t.id))?.outputs).toEqual([expect.objectContaining({ index: 0, kind: 'video' })]);
  });

  it('records a partial image failure per output and still succeeds', async () => {
    const t = await submit(image(2));
    ds.plan('ds-1', ['SUCCEEDED'], { results: [{ code: 'DataInspectionFailed', message: 'Output data may contain inappropriate content.' }, { url: ds.urlFor('ds-1', 1, 'png') }] });
    await poll();
    const done = await h.tasks.get(t.id);
    expect(done?.status).toBe('SUCCEEDED');
    expect(done?.outputs[0]).toEqual({ index: 0, error: { code: 'DataInspectionFailed', message: 'Output data may contain inappropriate content.' } });
    expect((await readManifest(h.objects, t.id))?.outputs[0]).toEqual({ index: 0, error: { code: 'DataInspectionFailed', message: 'Output data may contain inappropriate content.' } });
    expect(done?.cost).toEqual({ amount: 0.14, currency: 'CNY' });
  });

  it.each([
    ['FAILED', 'FAILED', 'InvalidParameter.FileDownload', 'task.failed'],
    ['CANCELED', 'CANCELED', 'Canceled', 'task.canceled'],
    ['UNKNOWN', 'FAILED', 'TaskUnknown', 'task.failed'],
  ])('ends a task DashScope reports %s as %s with a code, once, and stops scheduling it', async (upstream, status, code, event) => {
    const t = await submit(image(1));
    ds.plan('ds-1', ['RUNNING', upstream], { failure: { code: 'InvalidParameter.FileDownload', message: 'download failed' } });
    await poll();
    const done = await h.tasks.get(t.id);
    expect(done).toMatchObject({ status, error: { code } });
    expect(done?.dueAt).toBeUndefined();
    expect(done?.leaseOwner).toBeUndefined();
    expect(h.eventsOf(t.id).map((e) => e.type)).toEqual(['task.submitted', event]);
    expect(manifestWrites).toEqual([]);
    const queries = ds.queries;
    h.clock.advance(3_600_000);
    await poll();
    expect(ds.queries).toBe(queries);
  });

  it('fails a task DashScope does not know while it is younger than 24 hours, saying how old it is', async () => {
    const t = await submit(video);
    ds.plan('ds-1', ['RUNNING', 'UNKNOWN']);
    h.clock.advance(16_000);
    await poll();
    const done = await h.tasks.get(t.id);
    expect(done?.status).toBe('FAILED');
    expect(done?.error).toEqual({ code: 'TaskUnknown', message: 'DashScope does not know this task id (created 0 min ago)' });
    expect(h.eventsOf(t.id).map((e) => e.type)).toEqual(['task.submitted', 'task.failed']);
  });

  it('expires a task DashScope no longer knows once it is older than 24 hours', async () => {
    const t = await submit(video);
    h.clock.advance(25 * 3_600_000);
    ds.plan('ds-1', ['RUNNING', 'UNKNOWN']);
    await poll();
    const done = await h.tasks.get(t.id);
    expect(done?.status).toBe('EXPIRED');
    expect(done?.error).toEqual({ code: 'TaskUnknown', message: 'DashScope no longer knows this task: it is older than 24 hours (created 25 h ago)' });
    expect(h.eventsOf(t.id).map((e) => e.type)).toEqual(['task.submitted', 'task.expired']);
  });

  it('keeps polling through throttling and server errors until DashScope answers', async () => {
    const t = await submit(image(1));
    ds.queryFaults = ['throttle', 'server-error', 'throttle'];
    await poll();
    expect((await h.tasks.get(t.id))?.status).toBe('SUCCEEDED');
    expect(ds.queries).toBe(5);
  });

  it('completes a task whose manifest was written by a poll that stopped before the transition, and fires the manifest again', async () => {
    const t = await submit(image(1));
    await expect(pollDueTasks({ ...h.deps, hooks: { step: (s) => { if (s === 'poll:manifest-written') throw new Error('crash'); } } }, { requestId: 'dies' }, h.pollOptions())).rejects.toThrow(/poll:manifest-written/);
    expect((await h.tasks.get(t.id))?.status).toBe('RUNNING');
    expect(manifestWrites).toEqual([manifestKey(t.id)]);
    h.clock.advance(h.timings.leaseMs);
    await poll();
    expect((await h.tasks.get(t.id))?.status).toBe('SUCCEEDED');
    expect(manifestWrites).toEqual([manifestKey(t.id), manifestKey(t.id), manifestKey(t.id)]);
    expect(h.eventsOf(t.id).map((e) => e.type)).toEqual(['task.submitted', 'task.succeeded']);
  });

  it('re-drives a task left SUCCEEDED by rewriting its manifest, and expires it once the URLs are gone', async () => {
    const t = await submit(image(1));
    await poll();
    const before = await readManifest(h.objects, t.id);
    h.clock.advance(h.timings.redriveAfterMs);
    await poll();
    expect(manifestWrites).toEqual([manifestKey(t.id), manifestKey(t.id)]);
    expect(await readManifest(h.objects, t.id)).toEqual(before);
    expect(await h.tasks.get(t.id)).toMatchObject({ status: 'SUCCEEDED', pollCount: 1 });
    h.clock.advance(25 * 3_600_000);
    await poll();
    expect(await h.tasks.get(t.id)).toMatchObject({ status: 'EXPIRED', error: { code: 'ResultsExpired' } });
    expect(h.eventsOf(t.id).map((e) => e.type)).toEqual(['task.submitted', 'task.succeeded', 'task.expired']);
  });

  it('lets four pollers share the due tasks without ever polling one task twice at once', async () => {
    ds.queryDelayMs = 3;
    ds.defaultPlan = ['PENDING', 'RUNNING', 'RUNNING', 'SUCCEEDED'];
    const ids = await Promise.all(Array.from({ length: 24 }, () => submit(image(1)).then((t) => t.id)));
    const runs = await Promise.all([1, 2, 3, 4].map((i) => pollDueTasks(h.deps, { requestId: `p${i}` }, h.pollOptions({ concurrency: 4 }))));
    expect(runs.filter((r) => r.claimed > 0).length).toBeGreaterThan(1);
    expect(ds.maxOverlap).toBe(1);
    expect(ds.queries).toBe(24 * 4);
    for (const id of ids) {
      expect((await h.tasks.get(id))?.status).toBe('SUCCEEDED');
      expect(h.eventsOf(id).map((e) => e.type)).toEqual(['task.submitted', 'task.succeeded']);
    }
    expect(manifestWrites).toHaveLength(24);
  });

  it('claims nothing once its time budget is spent', async () => {
    await submit(image(1));
    const r = await poll({ maxRunMs: 0 });
    expect(r).toMatchObject({ claimed: 0, stoppedBy: 'budget' });
    expect(ds.queries).toBe(0);
  });

  it('re-publishes an event that could not be published, on the next claim of the task', async () => {
    const t = await submit(image(1));
    let failed = false;
    const flaky = {
      publish: async (events: DomainEvent[]) => {
        if (!failed && events.some((e) => e.type === 'task.succeeded')) {
          failed = true;
          throw new EventPublishError('bus down');
        }
        await h.events.publish(events);
      },
    };
    await pollDueTasks({ ...h.deps, events: flaky }, { requestId: 'p1' }, h.pollOptions());
    expect((await h.tasks.get(t.id))?.status).toBe('SUCCEEDED');
    expect(h.eventsOf(t.id).map((e) => e.type)).toEqual(['task.submitted']);
    h.clock.advance(h.timings.redriveAfterMs);
    await poll();
    expect(h.eventsOf(t.id).map((e) => e.type)).toEqual(['task.submitted', 'task.succeeded']);
  });

  it('stops scheduling a task that another writer made terminal', async () => {
    const t = await submit(image(1));
    await poll();
    const s = (await h.tasks.get(t.id))!;
    await h.tasks.update(t.id, s.version, { status: 'PERSISTED' }, h.clock.now());
    h.clock.advance(h.timings.redriveAfterMs);
    await poll();
    const done = await h.tasks.get(t.id);
    expect(done?.status).toBe('PERSISTED');
    expect(done?.dueAt).toBeUndefined();
    expect(manifestWrites).toHaveLength(1);
  });
});
