// Checklist 11–18: native async tasks with plain fetch: the async header, create/query shapes, the state
// timeline on the emulator clock, image/video success bodies, partial and full failure, UNKNOWN, cancel
// only while PENDING, the list endpoint, model concurrency and the 20 QPS cap. Plus the AI SDK's video
// model polling a task to completion.
import { createHash } from 'node:crypto';
import { createAlibaba } from '@ai-sdk/alibaba';
import { experimental_generateVideo as generateVideo } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/server.ts';
import { get, post, TASK_TIME } from './helpers.ts';

const MIN = 60_000;
let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({
    port: 0,
    taskTimings: { image: { pendingMs: MIN, runningMs: MIN }, video: { pendingMs: MIN, runningMs: MIN } },
    rateLimits: { '*': { submitsPerSecond: Infinity }, 'wan2.2-t2i-flash': { submitsPerSecond: 2, concurrentTasks: Infinity } },
    taskQueryQps: Infinity,
  });
});
afterAll(() => emu.close());

const T2I = '/api/v1/services/aigc/text2image/image-synthesis';
const VIDEO = '/api/v1/services/aigc/video-generation/video-synthesis';
const ASYNC = { 'X-DashScope-Async': 'enable' };

type TaskBody = { request_id: string; output: Record<string, unknown> & { task_status: string }; usage?: Record<string, unknown> };

async function create(path: string, body: unknown, headers: Record<string, string> = {}): Promise<string> {
  const res = await post(emu, path, body, { ...ASYNC, ...headers });
  const json = (await res.json()) as { output: { task_id: string } };
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json.output.task_id;
}
async function query(id: string): Promise<TaskBody> {
  const res = await get(emu, `/api/v1/tasks/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as TaskBody;
}
/** UTC+8 `YYYY-MM-DD HH:mm:ss.SSS` → epoch ms. */
const fromUtc8 = (s: string) => Date.parse(`${s.replace(' ', 'T')}+08:00`);

describe('task creation', () => {
  it('refuses a create without X-DashScope-Async: enable with 403 AccessDenied', async () => {
    const res = await post(emu, T2I, { model: 'wanx2.1-t2i-turbo', input: { prompt: 'a fox' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'AccessDenied', message: 'current user api does not support synchronous calls' });
  });

  it('answers 200 {output:{task_status:"PENDING", task_id}, request_id}', async () => {
    const res = await post(emu, T2I, { model: 'wanx2.1-t2i-turbo', input: { prompt: 'a fox' }, parameters: { n: 1 } }, ASYNC);
    const body = (await res.json()) as { output: Record<string, unknown>; request_id: string };
    expect(Object.keys(body.output).sort()).toEqual(['task_id', 'task_status']);
    expect(body.output.task_status).toBe('PENDING');
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
  });

  it.each([
    ['t2v size given as a resolution', VIDEO, { model: 'wan2.5-t2v-preview', input: { prompt: 'x' }, parameters: { size: '720P' } }, /size '720P' is invalid/],
    ['an unofficial model id', VIDEO, { model: 'wan2.5-t2v-plus', input: { prompt: 'x' } }, /^Model not exist\.$/],
    ['t2i n = 5', T2I, { model: 'wanx2.1-t2i-turbo', input: { prompt: 'x' }, parameters: { n: 5 } }, /Range of n/],
    ['t2i n = 0', T2I, { model: 'wanx2.1-t2i-turbo', input: { prompt: 'x' }, parameters: { n: 0 } }, /Range of n/],
    ['a duration the model lacks', VIDEO, { model: 'wan2.2-t2v-plus', input: { prompt: 'x' }, parameters: { duration: 10 } }, /duration/],
  ])('rejects %s with 400 InvalidParameter', async (_name, path, body, message) => {
    const res = await post(emu, path, body, ASYNC);
    expect(res.status).toBe(400);
    const b = (await res.json()) as { code: string; message: string };
    expect(b.code).toBe('InvalidParameter');
    expect(b.message).toMatch(message);
  });
});

describe('image tasks', () => {
  it('moves PENDING → RUNNING → SUCCEEDED on the emulator clock, with UTC+8 times', async () => {
    const before = emu.clock.nowMs();
    const id = await create(T2I, { model: 'wanx2.1-t2i-turbo', input: { prompt: 'a red fox in snow' }, parameters: { n: 2, size: '1024*768' } });
    const pending = await query(id);
    expect(pending.output.task_status).toBe('PENDING');
    expect(Object.keys(pending.output).sort()).toEqual(['submit_time', 'task_id', 'task_metrics', 'task_status']);
    expect(pending.output.submit_time).toMatch(TASK_TIME);
    const submitted = fromUtc8(pending.output.submit_time as string);
    expect(submitted).toBeGreaterThanOrEqual(Math.floor(before));
    expect(submitted).toBeLessThanOrEqual(emu.clock.nowMs());
    emu.clock.advance(MIN);
    expect((await query(id)).output.task_status).toBe('RUNNING');
    emu.clock.advance(MIN);
    const done = await query(id);
    expect(done.output.task_status).toBe('SUCCEEDED');
    for (const k of ['submit_time', 'scheduled_time', 'end_time']) expect(done.output[k]).toMatch(TASK_TIME);
    expect(done.output.task_metrics).toEqual({ TOTAL: 2, SUCCEEDED: 2, FAILED: 0 });
    expect(done.usage).toEqual({ image_count: 2 });
    const results = done.output.results as { url: string; orig_prompt: string; actual_prompt: string }[];
    expect(results).toHaveLength(2);
    expect(results[0]!.orig_prompt).toBe('a red fox in snow');
    expect(results[0]!.actual_prompt).toContain('a red fox in snow');
    const url = new URL(results[0]!.url);
    expect(url.origin).toBe(emu.url);
    expect(url.pathname).toMatch(/^\/results\/.+\.png$/);
    expect(Number(url.searchParams.get('Expires')) * 1000).toBe(Math.floor((fromUtc8(done.output.end_time as string) + 24 * 3600_000) / 1000) * 1000);
    expect(url.searchParams.get('OSSAccessKeyId')).toBeTruthy();
    expect(url.searchParams.get('Signature')).toBeTruthy();
  });

  it('replaces the first n results with DataInspectionFailed items on partial failure, still SUCCEEDED', async () => {
    const id = await create(T2I, { model: 'wanx2.1-t2i-plus', input: { prompt: 'a boat' }, parameters: { n: 3 } }, { 'X-Emulator-Fault': 'partial-failure=1' });
    emu.clock.advance(2 * MIN);
    const done = await query(id);
    expect(done.output.task_status).toBe('SUCCEEDED');
    const results = done.output.results as Record<string, string>[];
    expect(results[0]).toEqual({ code: 'DataInspectionFailed', message: expect.any(String) });
    expect(results.slice(1).every((r) => r.url)).toBe(true);
    expect(done.usage).toEqual({ image_count: 2 });
    expect(done.output.task_metrics).toEqual({ TOTAL: 3, SUCCEEDED: 2, FAILED: 1 });
  });

  it('ends FAILED with code and message inside output, HTTP 200', async () => {
    const id = await create(T2I, { model: 'wanx2.1-t2i-turbo', input: { prompt: 'x' }, parameters: { n: 1 } }, { 'X-Emulator-Fault': 'task-fail=InvalidParameter.FileDownload' });
    emu.clock.advance(2 * MIN);
    const body = await query(id);
    expect(body.output).toMatchObject({ task_status: 'FAILED', code: 'InvalidParameter.FileDownload', message: expect.any(String) });
    expect(body).not.toHaveProperty('code');
    for (const k of ['submit_time', 'scheduled_time', 'end_time']) expect(body.output[k]).toMatch(TASK_TIME);
  });

  it('accepts a missing prompt and fails the task later with "Field required: input.prompt"', async () => {
    const id = await create(T2I, { model: 'wanx2.1-t2i-turbo', input: {}, parameters: { n: 1 } });
    emu.clock.advance(2 * MIN);
    expect((await query(id)).output).toMatchObject({ task_status: 'FAILED', code: 'InvalidParameter', message: 'Field required: input.prompt' });
  });

  it('answers UNKNOWN for an unknown id and for a task older than 24 h', async () => {
    expect((await query('no-such-task')).output).toEqual({ task_id: 'no-such-task', task_status: 'UNKNOWN' });
    const id = await create(T2I, { model: 'wanx2.1-t2i-turbo', input: { prompt: 'x' }, parameters: { n: 1 } });
    emu.clock.advance(25 * 3600_000);
    expect((await query(id)).output.task_status).toBe('UNKNOWN');
  });
});

describe('video tasks', () => {
  it('t2v succeeds with video_url, prompts and wan2.5 usage keys', async () => {
    const id = await create(VIDEO, { model: 'wan2.5-t2v-preview', input: { prompt: 'waves at dusk' }, parameters: { size: '832*480', duration: 10 } });
    emu.clock.advance(2 * MIN);
    const body = await query(id);
    expect(body.output).toMatchObject({ task_status: 'SUCCEEDED', orig_prompt: 'waves at dusk', actual_prompt: expect.stringContaining('waves at dusk') });
    expect(new URL(body.output.video_url as string).pathname).toMatch(/\.mp4$/);
    expect(body.usage).toEqual({ video_duration: 10, video_ratio: '832*480', video_count: 1 });
  });

  it('i2v takes a resolution and reports {duration, SR, video_count}; no actual_prompt without prompt_extend', async () => {
    const id = await create(VIDEO, { model: 'wan2.5-i2v-preview', input: { prompt: 'pan left', img_url: 'https://example.com/a.png' }, parameters: { resolution: '720P', prompt_extend: false } });
    emu.clock.advance(2 * MIN);
    const body = await query(id);
    expect(body.output.task_status).toBe('SUCCEEDED');
    expect(body.output).not.toHaveProperty('actual_prompt');
    expect(body.usage).toEqual({ duration: 5, SR: 720, video_count: 1 });
  });

  it('fails an i2v task without img_url', async () => {
    const id = await create(VIDEO, { model: 'wan2.5-i2v-preview', input: { prompt: 'x' } });
    emu.clock.advance(2 * MIN);
    expect((await query(id)).output).toMatchObject({ task_status: 'FAILED', message: 'Field required: input.img_url' });
  });
});

describe('cancel and list', () => {
  it('cancels a PENDING task, then refuses to cancel a RUNNING one with the documented 400', async () => {
    const a = await create(T2I, { model: 'wanx2.1-t2i-turbo', input: { prompt: 'x' }, parameters: { n: 1 } });
    const ok = await post(emu, `/api/v1/tasks/${a}/cancel`, {});
    expect(ok.status).toBe(200);
    expect(Object.keys((await ok.json()) as object)).toEqual(['request_id']);
    expect((await query(a)).output.task_status).toBe('CANCELED');
    const b = await create(T2I, { model: 'wanx2.1-t2i-turbo', input: { prompt: 'x' }, parameters: { n: 1 } });
    emu.clock.advance(MIN);
    const refused = await post(emu, `/api/v1/tasks/${b}/cancel`, {});
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: 'UnsupportedOperation', message: 'Failed to cancel the task, please confirm if the task is in PENDING status.' });
  });

  it('lists tasks with epoch-ms times and paging fields', async () => {
    emu.reset();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await create(T2I, { model: 'wanx2.1-t2i-turbo', input: { prompt: `p${i}` }, parameters: { n: 1 } }));
    const res = await get(emu, '/api/v1/tasks?page_no=1&page_size=2&model_name=wanx2.1-t2i-turbo');
    const body = (await res.json()) as { total: number; total_page: number; page_no: number; page_size: number; data: Record<string, unknown>[] };
    expect(body).toMatchObject({ total: 3, total_page: 2, page_no: 1, page_size: 2 });
    expect(body.data).toHaveLength(2);
    expect(typeof body.data[0]!.gmt_create).toBe('number');
    expect(body.data.map((d) => d.task_id)).toEqual([ids[2], ids[1]]);
    expect(body.data[0]).toMatchObject({ status: 'PENDING', model_name: 'wanx2.1-t2i-turbo' });
  });
});

describe('limits', () => {
  it('keeps tasks beyond the model concurrency PENDING until a slot frees', async () => {
    emu.reset();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await create(T2I, { model: 'wanx2.1-t2i-turbo', input: { prompt: 'q' }, parameters: { n: 1 } }));
    emu.clock.advance(MIN);
    expect(await Promise.all(ids.map(async (id) => (await query(id)).output.task_status))).toEqual(['RUNNING', 'RUNNING', 'PENDING']);
    emu.clock.advance(MIN);
    expect(await Promise.all(ids.map(async (id) => (await query(id)).output.task_status))).toEqual(['SUCCEEDED', 'SUCCEEDED', 'RUNNING']);
  });

  it('throttles submits beyond the model rate with 429 Throttling.RateQuota and no Retry-After', async () => {
    const body = { model: 'wan2.2-t2i-flash', input: { prompt: 'x' }, parameters: { n: 1 } };
    const statuses = [];
    let throttled: Response | undefined;
    for (let i = 0; i < 3; i++) {
      const r = await post(emu, T2I, body, ASYNC);
      statuses.push(r.status);
      if (r.status === 429) throttled = r;
    }
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(throttled).toBeDefined();
    expect(throttled!.headers.get('retry-after')).toBeNull();
    expect(await throttled!.json()).toMatchObject({ code: 'Throttling.RateQuota', message: 'Requests rate limit exceeded, please try again later.' });
  });

  it('caps task query, list and cancel at 20 per second account-wide', async () => {
    const capped = await startEmulator({ port: 0 });
    try {
      const h = { authorization: `Bearer ${capped.apiKey}` };
      const paths = Array.from({ length: 25 }, (_, i) => (i % 5 === 0 ? '/api/v1/tasks' : `/api/v1/tasks/id-${i}`));
      const res = await Promise.all(paths.map((p) => fetch(`${capped.url}${p}`, { headers: h })));
      const limited = res.filter((r) => r.status === 429);
      expect(res.filter((r) => r.status === 200).length).toBeLessThanOrEqual(20);
      expect(limited.length).toBeGreaterThanOrEqual(1);
      const body = (await limited[0]!.json()) as { code: string };
      expect(body.code).toBe('Throttling.RateQuota');
      const cancel = await fetch(`${capped.url}/api/v1/tasks/x/cancel`, { method: 'POST', headers: h });
      expect(cancel.status).toBe(429);
    } finally {
      await capped.close();
    }
  });
});

describe('third-party client', () => {
  it("the AI SDK's Alibaba video model creates, polls and downloads a video", async () => {
    const fast = await startEmulator({ port: 0, taskTimings: { video: { pendingMs: 0, runningMs: 30 } } });
    let videoUrl = '';
    try {
      const alibaba = createAlibaba({ videoBaseURL: fast.url, apiKey: fast.apiKey });
      const r = await generateVideo({
        model: alibaba.video('wan2.5-t2v-preview'),
        prompt: 'a kite over a beach',
        resolution: '1280x720',
        providerOptions: { alibaba: { pollIntervalMs: 10, pollTimeoutMs: 10_000 } },
        maxRetries: 0,
        // The SDK's default download refuses IP-address hosts (SSRF guard); the emulator lives on 127.0.0.1.
        download: async ({ url }) => {
          videoUrl = url.href;
          const res = await fetch(url);
          return { data: new Uint8Array(await res.arrayBuffer()), mediaType: res.headers.get('content-type') ?? undefined };
        },
      });
      const bytes = r.video.uint8Array;
      expect(Buffer.from(bytes.subarray(4, 8)).toString('ascii')).toBe('ftyp');
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(await fast.media.expectedSha256(videoUrl));
      const create = fast.requests.find((q) => q.path.endsWith('/video-synthesis'))!;
      expect(create.status).toBe(200);
    } finally {
      await fast.close();
    }
  });
});
