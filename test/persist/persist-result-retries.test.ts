// persistResult against the local adapters and small origin servers: failures another delivery fixes, URLs
// that expire, and task-store writes or publishes that lose a race.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { EventPublishError } from '../../shared/ports/event-bus.ts';
import { PersistRetryableError, PersistTaskNotFoundError, TaskNotReadyError } from '../../shared/use-cases/persist/persist-errors.ts';
import { persistResult } from '../../shared/use-cases/persist/persist-result.ts';
import { createHarness, type Harness } from './harness.ts';
import { closeMediaServers, media, PNG, sha, url } from './persist-fixtures.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await closeMediaServers();
  await harness?.close();
  harness = undefined;
});

describe('persistResult: failures that another delivery fixes', () => {
  it('fails the invocation on a reset mid-download, leaves nothing under the key, and completes on the next delivery', async () => {
    const body = Buffer.concat([PNG.subarray(0, 8), randomBytes(200_000)]);
    let calls = 0;
    const s = await media({
      '/a': (res) => {
        calls++;
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length });
        if (calls === 1) {
          res.write(body.subarray(0, 50_000));
          setTimeout(() => res.socket?.destroy(), 20);
        } else res.end(body);
      },
    });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a`)]);

    const err = await persistResult(harness.deps, key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistRetryableError);
    expect(harness.mediaKeys()).toEqual([]);
    expect(harness.tmpFiles()).toEqual([]);
    expect((await harness.task(taskId)).status).toBe('SUCCEEDED');

    await persistResult(harness.deps, key);
    expect((await harness.task(taskId)).outputs[0]).toMatchObject({ bytes: body.length, sha256: sha(body) });
  });

  it('times out a body that stalls mid-way, leaves nothing behind, and asks for another delivery', async () => {
    const s = await media({
      '/a': (res) => {
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': 100_000 });
        res.write(PNG.subarray(0, 2_000)); // then nothing more
      },
    });
    harness = createHarness({ allowlist: [s.origin], download: { timeoutMs: 300 } });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a`)]);
    const err = await persistResult(harness.deps, key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistRetryableError);
    expect((err as PersistRetryableError).failures).toMatchObject([{ index: 0, code: 'Timeout' }]);
    expect(harness.mediaKeys()).toEqual([]);
    expect(harness.tmpFiles()).toEqual([]);
    expect((await harness.task(taskId)).status).toBe('SUCCEEDED');
  });

  it('retries a 5xx and a 403 before the URL expires instead of giving up on the result', async () => {
    const s = await media({ '/busy': (res) => res.writeHead(503).end(), '/denied': (res) => res.writeHead(403).end() });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/busy`), url(1, `${s.origin}/denied`)]);
    const err = await persistResult(harness.deps, key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistRetryableError);
    expect((err as PersistRetryableError).failures.map((f) => f.code)).toEqual(['SourceUnavailable', 'SourceStatus']);
    const task = await harness.task(taskId);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.outputs.map((o) => o.error?.code)).toEqual(['SourceUnavailable', 'SourceStatus']);
  });

  it('waits for a task still RUNNING, then fails the invocation and keeps the manifest', async () => {
    const s = await media({ '/a': PNG });
    harness = createHarness({ allowlist: [s.origin] });
    const { key } = await harness.seed([url(0, `${s.origin}/a`)], { status: 'RUNNING' });
    await expect(persistResult(harness.deps, key)).rejects.toBeInstanceOf(TaskNotReadyError);
    expect(await harness.objects.head(key)).toBeDefined();
    expect(s.requests).toEqual([]);
  });

  it('names a missing task clearly and keeps the manifest', async () => {
    harness = createHarness();
    const { key } = await harness.seed([url(0, 'https://x.aliyuncs.com/a')], { withoutTask: true });
    await expect(persistResult(harness.deps, key)).rejects.toBeInstanceOf(PersistTaskNotFoundError);
    expect(await harness.objects.head(key)).toBeDefined();
  });
});

describe('persistResult: expiry', () => {
  it('marks the task EXPIRED with the reason when the manifest says the URL is past, without fetching it', async () => {
    const s = await media({ '/a': PNG });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a`, new Date(Date.now() - 1000).toISOString())]);
    const r = await persistResult(harness.deps, key);
    expect(r.outcome).toBe('expired');
    const task = await harness.task(taskId);
    expect(task.status).toBe('EXPIRED');
    expect(task.error).toMatchObject({ code: 'ResultExpired' });
    expect(task.error?.message).toContain('expired');
    expect(s.requests).toEqual([]);
    expect(harness.eventsOf('task.expired', taskId)).toBe(1);
  });

  it('marks the task EXPIRED when the source answers 403 past the URL Expires, keeping what was copied', async () => {
    const s = await media({ '/ok': PNG, '/gone': (res) => res.writeHead(403, { date: new Date(Date.now() + 3_600_000).toUTCString() }).end() });
    harness = createHarness({ allowlist: [s.origin] });
    const expires = Math.floor(Date.now() / 1000) + 600; // our clock: still valid; the source's Date says past
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/ok`), url(1, `${s.origin}/gone?Expires=${expires}`)]);
    await persistResult(harness.deps, key);
    const task = await harness.task(taskId);
    expect(task.status).toBe('EXPIRED');
    expect(task.outputs[0]).toMatchObject({ contentType: 'image/png', sha256: sha(PNG) });
    expect(task.outputs[1]?.error).toMatchObject({ code: 'ResultExpired' });
  });
});

describe('persistResult: a task store write that loses a race', () => {
  it('re-reads and persists when another writer bumped the row meanwhile', async () => {
    const s = await media({ '/a': PNG });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a`)]);
    const h = harness;
    const realPut = h.objects.put.bind(h.objects);
    h.objects.put = async (...args) => {
      const meta = await realPut(...args);
      const t = await h.task(taskId);
      await h.tasks.update(taskId, t.version, { leaseOwner: 'poller', leaseUntil: new Date(Date.now() + 60_000).toISOString() }, new Date());
      return meta;
    };
    await persistResult(h.deps, key);
    const task = await h.task(taskId);
    expect(task.status).toBe('PERSISTED');
    expect(task.leaseOwner).toBeUndefined();
    expect(h.eventsOf('task.persisted', taskId)).toBe(1);
  });

  it('re-publishes the event in place when the bus refused it after the status was written', async () => {
    const s = await media({ '/a': PNG });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a`)]);
    const bus = harness.events;
    let refusals = 1;
    const deps = {
      ...harness.deps,
      events: {
        publish: async (events: Parameters<typeof bus.publish>[0]) => {
          if (refusals-- > 0) throw new EventPublishError('bus unavailable');
          await bus.publish(events);
        },
      },
    };
    const r = await persistResult(deps, key);
    expect(r.outcome).toBe('persisted');
    expect((await harness.task(taskId)).status).toBe('PERSISTED');
    expect(harness.eventsOf('task.persisted', taskId)).toBe(1);
  });
});
