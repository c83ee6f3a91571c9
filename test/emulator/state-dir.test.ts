// Option `stateDir`: a restarted emulator still knows its tasks, uploaded files and fine-tune jobs, its clock
// continues from where it stopped, and its result URLs serve the same bytes, after a clean stop or a crash.
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../dev/emulator/server.ts';
import { get, post } from './helpers.ts';

const MIN = 60_000;
const T2I = '/api/v1/services/aigc/text2image/image-synthesis';
const VIDEO = '/api/v1/services/aigc/video-generation/video-synthesis';
const ASYNC = { 'X-DashScope-Async': 'enable' };
type TaskBody = { output: { task_id: string; task_status: string; submit_time?: string; results?: { url: string }[] } };

const root = mkdtempSync(join(tmpdir(), 'emu-state-'));
const running: Emulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function start(stateDir: string, extra: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await startEmulator({
    port: 0,
    stateDir,
    taskTimings: { image: { pendingMs: MIN, runningMs: MIN }, video: { pendingMs: MIN, runningMs: 10 * MIN } },
    rateLimits: { '*': { submitsPerSecond: Infinity, concurrentTasks: Infinity } },
    taskQueryQps: Infinity,
    ...extra,
  });
  running.push(emu);
  return emu;
}
async function stop(emu: Emulator): Promise<void> {
  running.splice(running.indexOf(emu), 1);
  await emu.close();
}
async function create(emu: Emulator, path: string, body: unknown): Promise<string> {
  const res = await post(emu, path, body, ASYNC);
  expect(res.status).toBe(200);
  return ((await res.json()) as TaskBody).output.task_id;
}
const query = async (emu: Emulator, id: string) => ((await (await get(emu, `/api/v1/tasks/${id}`)).json()) as TaskBody).output;
const sha256 = async (url: string) => createHash('sha256').update(Buffer.from(await (await fetch(url)).arrayBuffer())).digest('hex');
const image = { model: 'wanx2.1-t2i-turbo', input: { prompt: 'a fox' }, parameters: { n: 1, size: '512*512' } };
const video = { model: 'wan2.2-t2v-plus', input: { prompt: 'waves' }, parameters: { size: '832*480' } };

describe('emulator stateDir', () => {
  it('answers for its tasks, files and fine-tune jobs after a clean restart, with the clock where it stopped and the same result bytes', async () => {
    const dir = join(root, 'clean');
    const a = await start(dir);
    const done = await create(a, T2I, image);
    a.clock.advance(2 * MIN);
    const before = await query(a, done);
    expect(before.task_status).toBe('SUCCEEDED');
    const url = before.results![0]!.url;
    const bytes = await sha256(url);
    const queued = await create(a, VIDEO, video);
    const upload = new FormData();
    upload.append('purpose', 'fine-tune');
    upload.append('file', new Blob(['{"messages":[]}\n']), 'train.jsonl');
    const file = (await (await fetch(`${a.url}/compatible-mode/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${a.apiKey}` }, body: upload })).json()) as { id: string };
    const job = (await (await post(a, '/api/v1/fine-tunes', { model: 'qwen-turbo', training_file_ids: [file.id] })).json()) as { output: { job_id: string } };
    const stoppedAt = a.clock.nowMs();
    await stop(a);

    // Another port (the client's pooled connections to the old one are dead); URLs differ only in origin.
    const b = await start(dir);
    expect(b.clock.nowMs()).toBeGreaterThanOrEqual(stoppedAt);
    expect(await query(b, done)).toEqual(JSON.parse(JSON.stringify(before).replaceAll(a.url, b.url)));
    expect(await sha256(url.replace(a.url, b.url))).toBe(bytes);
    // Time went on from where it was, not a day ahead: the video created last is still waiting.
    expect((await query(b, queued)).task_status).toBe('PENDING');
    b.clock.advance(MIN);
    expect((await query(b, queued)).task_status).toBe('RUNNING');
    expect((await get(b, `/compatible-mode/v1/files/${file.id}`)).status).toBe(200);
    expect((await get(b, `/api/v1/fine-tunes/${job.output.job_id}`)).status).toBe(200);
    expect(b.tasks.list().map((t) => t.taskId).sort()).toEqual([done, queued].sort());
  });

  it('resumes from the files a crash left (a torn last line is skipped) without moving the clock back', async () => {
    const dir = join(root, 'live');
    const a = await start(dir);
    const ids = [await create(a, VIDEO, video), await create(a, T2I, image)];
    const canceled = await create(a, VIDEO, video);
    await post(a, `/api/v1/tasks/${canceled}/cancel`, {});
    a.clock.advance(MIN + 1);
    expect((await query(a, ids[0]!)).task_status).toBe('RUNNING');
    const seen = a.clock.nowMs();
    // What a kill -9 leaves: the files as they are right now, plus a line cut short mid-write.
    const crashed = join(root, 'crashed');
    cpSync(dir, crashed, { recursive: true });
    appendFileSync(join(crashed, 'journal.jsonl'), '{"op":"task","task":{"taskId":"cut-sh');

    const b = await start(crashed);
    expect(b.clock.nowMs()).toBeGreaterThanOrEqual(seen);
    expect((await query(b, ids[0]!)).task_status).toBe('RUNNING');
    expect((await query(b, ids[1]!)).task_status).toBe('RUNNING');
    expect((await query(b, canceled)).task_status).toBe('CANCELED');
    const later = await create(b, T2I, image);
    await stop(b);
    const c = await start(crashed);
    expect(c.tasks.list().map((t) => t.taskId).sort()).toEqual([...ids, canceled, later].sort());
  });

  it('forgets the saved tasks on reset, and tasks past their TTL at the next start', async () => {
    const dir = join(root, 'reset');
    const a = await start(dir);
    await create(a, T2I, image);
    a.reset();
    const kept = await create(a, T2I, image);
    await stop(a);
    const b = await start(dir);
    expect(b.tasks.list().map((t) => t.taskId)).toEqual([kept]);
    b.clock.advance(25 * 3_600_000);
    expect((await query(b, kept)).task_status).toBe('UNKNOWN');
    await stop(b);
    const c = await start(dir);
    expect(c.tasks.list()).toEqual([]);
  });
});
