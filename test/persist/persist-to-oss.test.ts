// persist-to-oss end to end on one machine: the DashScope emulator serves real result files, the function's
// event handler runs on the local deps (folder OSS, SQLite, in-process bus), and the OSS event is the one
// the local store's creation notice turns into.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../dev/emulator/server.ts';
import { ossEvent } from '../../dev/runtime/oss-triggers.ts';
import { createEventHandler } from '../../functions/persist-to-oss/index.ts';
import type { ObjectCreatedEvent } from '../../shared/adapters/local-fs/local-fs-object-store.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { createLocalDeps, type LocalDeps } from '../../shared/deps/local-deps.ts';
import { manifestKey, type Manifest, type ManifestOutput } from '../../shared/domain/manifest.ts';
import type { Task } from '../../shared/domain/task.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import { BadEventError, type EventHandler } from '../../shared/runtime/fc.ts';
import { emulatorOutputs } from './emulator-results.ts';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

let emu: Emulator;
let deps: LocalDeps;
let dir: string;
let handle: EventHandler;
const created: ObjectCreatedEvent[] = [];

beforeEach(async () => {
  emu = await startEmulator({ port: 0, logRequests: true, taskTimings: { image: { pendingMs: 0, runningMs: 10 }, video: { pendingMs: 0, runningMs: 10 } } });
  dir = mkdtempSync(join(tmpdir(), 'persist-fn-'));
  // As the local runtime does: the emulator's exact origin is appended to the result host allowlist.
  const config = loadConfig({
    RUNTIME_MODE: 'local',
    DATA_DIR: dir,
    DASHSCOPE_BASE_URL: emu.url,
    DASHSCOPE_API_KEY: emu.apiKey,
    RESULT_HOST_ALLOWLIST: `*.aliyuncs.com,${emu.url}`,
    LOG_LEVEL: 'silent',
  });
  // The emulator's clock is the deps' clock too: when a test jumps it, both sides agree on the time.
  deps = createLocalDeps(config, { clock: emu.clock, logger: silentLogger });
  created.length = 0;
  deps.objects.onObjectCreated((e) => created.push(e));
  handle = createEventHandler(deps);
});

afterEach(async () => {
  await deps.close();
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
/** A SUCCEEDED task with `outputs`, and its manifest written the way poll-task writes it. Returns the OSS event. */
async function seed(outputs: ManifestOutput[]): Promise<{ taskId: string; event: Buffer }> {
  seq += 1;
  const taskId = `task_fn_${process.pid}_${seq}`;
  const now = emu.clock.now().toISOString();
  const task: Task = {
    id: taskId,
    type: 'text-to-video',
    model: 'wan2.5-t2v-preview',
    status: 'SUCCEEDED',
    input: { prompt: 'a red fox' },
    parameters: {},
    outputs: outputs.map((o) => ('url' in o ? { index: o.index, sourceUrl: o.url, sourceExpiresAt: o.expiresAt } : { index: o.index, error: o.error })),
    pollCount: 2,
    version: 1,
    createdAt: '2031-12-31T23:59:59.000Z',
    updatedAt: now,
  };
  await deps.tasks.create(task);
  const manifest: Manifest = { version: 1, taskId, type: task.type, model: task.model, succeededAt: now, outputs };
  await deps.objects.put(manifestKey(taskId), Buffer.from(JSON.stringify(manifest)), { contentType: 'application/json' });
  const notice = created.find((c) => c.meta.key === manifestKey(taskId));
  if (!notice) throw new Error('the local store announced no manifest');
  return { taskId, event: Buffer.from(JSON.stringify(ossEvent(notice, 'local-bucket', 'cn-beijing'))) };
}

const ctx = (n = 0) => ({ requestId: `req-${seq}-${n}`, retryCount: n });
// one per distinct id: a consumer drops duplicates on (source, id)
const persistedEvents = (taskId: string) => [...new Map(deps.events.history().filter((e) => e.type === 'task.persisted' && e.subject === taskId).map((e) => [e.id, e])).values()];
const mediaKeysOf = (task: Task) => task.outputs.map((o) => o.key);

describe('persist-to-oss with the emulator', () => {
  it('copies two images and a video with the exact bytes, right types and extensions, then PERSISTED and one task.persisted', async () => {
    const outputs = await emulatorOutputs(emu, 2);
    const expected = await Promise.all(outputs.map((o) => ('url' in o ? emu.media.expected(o.url) : undefined)));
    const { taskId, event } = await seed(outputs);

    await handle(event, ctx());

    const task = (await deps.tasks.get(taskId))!;
    expect(task.status).toBe('PERSISTED');
    const dirKey = `media/2031/12/31/${taskId}`;
    expect(mediaKeysOf(task)).toEqual([`${dirKey}/0.png`, `${dirKey}/1.png`, `${dirKey}/2.mp4`]);
    expect(task.outputs.map((o) => o.contentType)).toEqual(['image/png', 'image/png', 'video/mp4']);
    task.outputs.forEach((o, i) => {
      expect(o.sha256).toBe(expected[i]?.sha256);
      expect(o.bytes).toBe(expected[i]?.bytes);
      expect(o.contentType).toBe(expected[i]?.contentType);
    });
    for (const o of task.outputs) {
      const meta = await deps.objects.head(o.key!);
      expect(meta).toMatchObject({ bytes: o.bytes, contentType: o.contentType, metadata: { sha256: o.sha256, sourceTaskId: taskId } });
    }
    expect(persistedEvents(taskId)).toHaveLength(1);
    expect(persistedEvents(taskId)[0]?.data).toMatchObject({ status: 'PERSISTED', outputs: task.outputs.map(({ key, sha256 }) => expect.objectContaining({ key, sha256 })) });
  });

  it('handles the same OSS event delivered three times: one object per output, PERSISTED once, one event', async () => {
    const outputs = await emulatorOutputs(emu, 2);
    const { taskId, event } = await seed(outputs);

    const results = [];
    for (let n = 0; n < 3; n++) results.push(await handle(event, ctx(n)));

    expect(results.map((r) => (r as { handled: { outcome: string }[] }).handled[0]?.outcome)).toEqual(['persisted', 'duplicate', 'duplicate']);
    const task = (await deps.tasks.get(taskId))!;
    expect(task.status).toBe('PERSISTED');
    expect(task.version).toBe(2);
    const stored = created.filter((c) => c.meta.key.startsWith(`media/`) && c.meta.key.includes(taskId));
    expect(stored.map((c) => c.meta.key).sort()).toEqual(mediaKeysOf(task).sort());
    expect(persistedEvents(taskId)).toHaveLength(1);
  });

  it('fails the invocation on a reset mid-download, leaves nothing under the key, and the next delivery completes it', async () => {
    const outputs = await emulatorOutputs(emu, 1);
    const video = { ...outputs[1]!, index: 0 };
    const expected = 'url' in video ? await emu.media.expected(video.url) : undefined;
    const { taskId, event } = await seed([video]);
    emu.faults.add({ match: { path: '/results/video/' }, times: 1, fault: { kind: 'reset', afterBytes: 4096 } });

    await expect(handle(event, ctx(0))).rejects.toThrow(/not copied yet/);
    const key = `media/2031/12/31/${taskId}/0.mp4`;
    expect(await deps.objects.head(key)).toBeUndefined();
    expect(existsSync(join(dir, 'oss-tmp')) ? readdirSync(join(dir, 'oss-tmp')) : []).toEqual([]);
    expect(emu.requests.filter((r) => r.path.startsWith('/results/video/')).flatMap((r) => r.faults)).toContain('reset');
    expect((await deps.tasks.get(taskId))?.status).toBe('SUCCEEDED');

    await handle(event, ctx(1));
    const task = (await deps.tasks.get(taskId))!;
    expect(task.status).toBe('PERSISTED');
    expect(task.outputs[0]).toMatchObject({ key, sha256: expected?.sha256, bytes: expected?.bytes });
  });

  it('marks the task EXPIRED with the reason when the URL expires before it is copied', async () => {
    const outputs = await emulatorOutputs(emu, 1);
    const { taskId, event } = await seed(outputs);
    emu.clock.advance(25 * 3600_000);

    await handle(event, ctx());

    const task = (await deps.tasks.get(taskId))!;
    expect(task.status).toBe('EXPIRED');
    expect(task.error?.code).toBe('ResultExpired');
    expect(task.error?.message).toMatch(/output 0: the source URL expired at .* before it could be copied/);
    expect(deps.events.history().filter((e) => e.type === 'task.expired' && e.subject === taskId)).toHaveLength(1);
  });

  it('marks the task EXPIRED from the source 403 when the URL dies during the run (the manifest still looked valid)', async () => {
    const outputs = await emulatorOutputs(emu, 1);
    const { taskId, event } = await seed(outputs);
    // The source answers as an expired OSS link would, while our check before fetching still passes.
    emu.faults.add({ match: { path: '/results/' }, times: 10, fault: { kind: 'status', status: 403 } });
    const url = 'url' in outputs[0]! ? new URL(outputs[0].url) : undefined;
    const expiresMs = Number(url?.searchParams.get('Expires')) * 1000;
    emu.clock.advance(expiresMs - emu.clock.nowMs() - 60_000); // a minute left: within the clock-skew window

    await handle(event, ctx());
    const task = (await deps.tasks.get(taskId))!;
    expect(task.status).toBe('EXPIRED');
    expect(task.outputs.every((o) => o.error?.code === 'ResultExpired')).toBe(true);
  });

  it('fails the invocation on a payload that is not an OSS event', async () => {
    await expect(handle(Buffer.from('{"events":[]}'), ctx())).rejects.toBeInstanceOf(BadEventError);
  });

  it('handles every manifest record of one event and fails the invocation if any of them failed', async () => {
    const outputs = await emulatorOutputs(emu, 1);
    const good = await seed([outputs[0]!]);
    const ghost = Buffer.from(JSON.stringify({ events: [{ eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'b' }, object: { key: manifestKey('task_ghost') } } }] }));
    const both = { events: [...JSON.parse(ghost.toString()).events, ...JSON.parse(good.event.toString()).events] };
    await expect(handle(Buffer.from(JSON.stringify(both)), ctx())).rejects.toThrow(/does not exist/);
    expect((await deps.tasks.get(good.taskId))?.status).toBe('PERSISTED');
  });

  it('ignores records that are not manifests', async () => {
    const event = Buffer.from(JSON.stringify({ events: [{ eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'b' }, object: { key: 'inbox/x.json' } } }] }));
    await expect(handle(event, ctx())).resolves.toEqual({ handled: [] });
  });
});
