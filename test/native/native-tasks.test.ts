// DashScope's native async task paths on submit-task, over HTTP as deployed: a create at the video or image
// synthesis path answers the layer's task id PENDING, `GET /api/v1/tasks/{id}` answers DashScope's task shape
// with the layer's statuses mapped and its own persisted URLs, and every refusal is DashScope's error shape.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../functions/submit-task/index.ts';
import type { Task } from '../../shared/domain/task.ts';
import { FakeDashScope } from '../tasks/fake-dashscope.ts';
import { createTaskHarness, type TaskHarness } from '../tasks/harness.ts';

// obviously fake client keys: CLIENT_API_KEYS makes them the tenants key-1 and key-2 (role app)
const KEY_A = 'test-client-key-aaaaaaaaaaaaaaaa';
const KEY_B = 'test-client-key-bbbbbbbbbbbbbbbb';
const VIDEO = '/api/v1/services/aigc/video-generation/video-synthesis';
const IMAGE = '/api/v1/services/aigc/text2image/image-synthesis';

type Json = Record<string, unknown> & { output?: Record<string, unknown>; usage?: Record<string, unknown> };

let ds: FakeDashScope;
let h: TaskHarness;
let server: Server;
let base: string;

beforeEach(async () => {
  ds = new FakeDashScope();
  ds.defaultPlan = ['PENDING'];
  h = createTaskHarness(ds, { CLIENT_API_KEYS: `${KEY_A},${KEY_B}` });
  const handler = createHttpHandler(h.deps);
  server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((r) => server.close(r));
  h.close();
});

async function call(key: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(method === 'POST' ? { 'x-dashscope-async': 'enable' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Json };
}

const video = { model: 'wan2.5-t2v-preview', input: { prompt: 'a fox in snow' }, parameters: { size: '1280*720', duration: 5 } };

/** A task row as the lifecycle leaves it, written straight to the store. */
async function storedTask(over: Partial<Task>): Promise<Task> {
  const now = '2026-12-03T10:00:00.000Z';
  const task: Task = {
    id: `task_${Math.random().toString(16).slice(2).padEnd(32, '0').slice(0, 32)}`,
    tenant: 'key-1',
    type: 'text-to-video',
    model: 'wan2.5-t2v-preview',
    status: 'PENDING',
    input: { prompt: 'a fox in snow' },
    parameters: { size: '1280*720', duration: 5 },
    outputs: [],
    pollCount: 0,
    version: 1,
    createdAt: now,
    updatedAt: '2026-12-03T10:01:30.250Z',
    ...over,
  };
  await h.tasks.create(task);
  return task;
}

describe('native task create', () => {
  it('creates a task from the video synthesis body and answers its layer id PENDING in DashScope shape', async () => {
    const r = await call(KEY_A, 'POST', VIDEO, video);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ request_id: expect.any(String), output: { task_id: expect.stringMatching(/^task_/), task_status: 'PENDING' } });
    expect(r.headers.get('x-request-id')).toBe(r.json.request_id);
    const task = await h.tasks.get(r.json.output!.task_id as string);
    expect(task).toMatchObject({ tenant: 'key-1', type: 'text-to-video', model: 'wan2.5-t2v-preview', input: video.input, parameters: video.parameters });
    // DashScope was sent the same body, under its own task id (never shown to the client)
    expect(ds.creates).toEqual([{ model: 'wan2.5-t2v-preview', input: video.input, parameters: video.parameters }]);
    expect(r.json.output!.task_id).not.toBe(task!.dashscopeTaskId);
  });

  it('takes an image-to-video model at the video path and a text-to-image model at the image path', async () => {
    const i2v = await call(KEY_A, 'POST', VIDEO, { model: 'wan2.5-i2v-preview', input: { img_url: 'https://example.com/cat.png', prompt: 'walks' }, parameters: { resolution: '720P' } });
    expect(i2v.status).toBe(200);
    expect((await h.tasks.get(i2v.json.output!.task_id as string))?.type).toBe('image-to-video');
    const t2i = await call(KEY_A, 'POST', IMAGE, { model: 'wanx2.1-t2i-turbo', input: { prompt: 'a red fox' }, parameters: { size: '1024*1024', n: 2 } });
    expect(t2i.status).toBe(200);
    expect(await h.tasks.get(t2i.json.output!.task_id as string)).toMatchObject({ type: 'text-to-image', parameters: { n: 2, size: '1024*1024' } });
  });

  it('replays the same task for a repeated Idempotency-Key', async () => {
    const first = await call(KEY_A, 'POST', VIDEO, video, { 'idempotency-key': 'clip-1' });
    const again = await call(KEY_A, 'POST', VIDEO, video, { 'idempotency-key': 'clip-1' });
    expect(again.json.output!.task_id).toBe(first.json.output!.task_id);
    expect(ds.creates).toHaveLength(1);
  });

  it.each([
    ['no model', VIDEO, { input: { prompt: 'x' } }, 'InvalidParameter', 'model: required'],
    ['an unknown model', VIDEO, { model: 'wan2.5-t2v-plus', input: { prompt: 'x' } }, 'ModelNotFound', "unknown model 'wan2.5-t2v-plus'"],
    ['an image model at the video path', VIDEO, { model: 'wanx2.1-t2i-turbo', input: { prompt: 'x' } }, 'InvalidParameter', 'cannot do text-to-video'],
    ['a video model at the image path', IMAGE, { model: 'wan2.5-t2v-preview', input: { prompt: 'x' } }, 'InvalidParameter', 'cannot do text-to-image'],
    ['no prompt', VIDEO, { model: 'wan2.5-t2v-preview', input: {} }, 'InvalidParameter', 'input.prompt'],
    ['a size the model does not make', VIDEO, { model: 'wan2.5-t2v-preview', input: { prompt: 'x' }, parameters: { size: '720P' } }, 'InvalidParameter', 'parameters.size'],
    ['a parameter the layer does not pass', VIDEO, { model: 'wan2.5-t2v-preview', input: { prompt: 'x' }, parameters: { shot_type: 'multi' } }, 'InvalidParameter', 'shot_type'],
    ['an unknown top-level field', VIDEO, { model: 'wan2.5-t2v-preview', input: { prompt: 'x' }, metadata: {} }, 'InvalidParameter', "unknown field 'metadata'"],
    ['a body that is not an object', VIDEO, [1, 2], 'InvalidParameter', 'expected a JSON object'],
    ['malformed JSON', VIDEO, '{"model":', 'BadRequest.IllegalInput', 'request body'],
  ])('refuses %s with 400 in DashScope shape and creates nothing', async (_what, path, body, code, words) => {
    const r = await call(KEY_A, 'POST', path, body);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code, message: expect.stringContaining(words), request_id: expect.any(String) });
    expect(r.headers.get('x-request-id')).toBe(r.json.request_id);
    expect(ds.creates).toHaveLength(0);
    expect((await h.tasks.listByStatus(undefined, 10)).tasks).toHaveLength(0);
  });

  it('refuses X-DashScope-Async other than enable, and answers a missing or unknown key 401 InvalidApiKey, creating nothing', async () => {
    const sync = await call(KEY_A, 'POST', VIDEO, video, { 'x-dashscope-async': 'disable' });
    expect(sync.status).toBe(400);
    expect(sync.json).toMatchObject({ code: 'InvalidParameter', message: expect.stringContaining('X-DashScope-Async') });
    for (const key of [undefined, 'test-client-key-not-a-known-one']) {
      const r = await call(key, 'POST', VIDEO, video);
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ code: 'InvalidApiKey', message: expect.any(String), request_id: expect.any(String) });
    }
    expect(ds.creates).toHaveLength(0);
  });

  it('answers an unknown native path 404 and a wrong method 405 in DashScope shape', async () => {
    const missing = await call(KEY_A, 'POST', '/api/v1/services/aigc/unknown/thing', video);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ code: 'NotFound', message: expect.stringContaining('no route'), request_id: expect.any(String) });
    const wrong = await call(KEY_A, 'GET', VIDEO);
    expect(wrong.status).toBe(405);
    expect(wrong.json).toMatchObject({ code: 'MethodNotAllowed' });
    // the layer's own paths keep OpenAI's shape
    expect((await call(KEY_A, 'GET', '/v1/tasks/task_none')).json).toMatchObject({ error: { code: 'task_not_found' } });
  });
});

describe('native task query', () => {
  it("answers another tenant's task exactly as an id that does not exist: 200 UNKNOWN", async () => {
    const id = (await call(KEY_A, 'POST', VIDEO, video)).json.output!.task_id as string;
    const unknown = `task_${'0'.repeat(32)}`;
    const theirs = await call(KEY_B, 'GET', `/api/v1/tasks/${id}`);
    const missing = await call(KEY_B, 'GET', `/api/v1/tasks/${unknown}`);
    expect(theirs.status).toBe(200);
    expect(theirs.json).toEqual({ request_id: expect.any(String), output: { task_id: id, task_status: 'UNKNOWN' } });
    expect({ ...missing.json, request_id: 'x', output: { ...missing.json.output, task_id: 'x' } }).toEqual({ ...theirs.json, request_id: 'x', output: { ...theirs.json.output, task_id: 'x' } });
    // its owner reads it
    expect((await call(KEY_A, 'GET', `/api/v1/tasks/${id}`)).json.output).toMatchObject({ task_id: id, task_status: 'PENDING', submit_time: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/) });
  });

  it('refuses an id longer than any task id with 400 in DashScope shape', async () => {
    const r = await call(KEY_A, 'GET', `/api/v1/tasks/${'x'.repeat(200)}`);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'InvalidParameter' });
  });

  it('answers a task DashScope finished but the layer has not yet copied as RUNNING, without any URL', async () => {
    const t = await storedTask({ status: 'SUCCEEDED', dashscopeTaskId: 'ds-9', outputs: [{ index: 0, sourceUrl: 'https://dashscope-result-bj.oss-cn-beijing.aliyuncs.com/v.mp4?Expires=1', sourceExpiresAt: '2026-12-04T10:00:00.000Z' }], usage: { video_duration: 5 } });
    const r = await call(KEY_A, 'GET', `/api/v1/tasks/${t.id}`);
    expect(r.json.output).toEqual({ task_id: t.id, task_status: 'RUNNING', submit_time: '2026-12-03 18:00:00.000' });
    expect(JSON.stringify(r.json)).not.toContain('aliyuncs.com');
  });

  it("answers a persisted video SUCCEEDED with the layer's own URL in video_url, usage and times", async () => {
    const key = 'media/2026/12/03/t/0.mp4';
    const t = await storedTask({ status: 'PERSISTED', outputs: [{ index: 0, key, contentType: 'video/mp4', bytes: 10, sourceUrl: 'https://dashscope-result-bj.oss-cn-beijing.aliyuncs.com/v.mp4' }], usage: { video_duration: 5, video_ratio: '1280*720', video_count: 1 } });
    const r = await call(KEY_A, 'GET', `/api/v1/tasks/${t.id}`);
    expect(r.json).toEqual({
      request_id: expect.any(String),
      output: { task_id: t.id, task_status: 'SUCCEEDED', submit_time: '2026-12-03 18:00:00.000', end_time: '2026-12-03 18:01:30.250', video_url: expect.any(String), orig_prompt: 'a fox in snow' },
      usage: { video_duration: 5, video_ratio: '1280*720', video_count: 1 },
    });
    const url = new URL(r.json.output!.video_url as string);
    expect(url.origin).toBe('http://127.0.0.1:9');
    expect(url.pathname).toBe(`/_oss/${key}`);
    expect(h.objects.verifyUrl(url.pathname.slice('/_oss/'.length), url.searchParams.get('Expires'), url.searchParams.get('Signature'))).toBe('ok');
  });

  it('answers persisted images in results[], a refused one as its error, with task_metrics', async () => {
    const t = await storedTask({
      type: 'text-to-image',
      model: 'wanx2.1-t2i-turbo',
      status: 'PERSISTED',
      input: { prompt: 'a red fox' },
      parameters: { size: '1024*1024', n: 2 },
      outputs: [{ index: 1, error: { code: 'DataInspectionFailed', message: 'Output data may contain inappropriate content.' } }, { index: 0, key: 'media/2026/12/03/t/0.png' }],
      usage: { image_count: 1 },
    });
    const r = await call(KEY_A, 'GET', `/api/v1/tasks/${t.id}`);
    expect(r.json.output).toMatchObject({
      task_status: 'SUCCEEDED',
      results: [{ url: expect.stringContaining('/_oss/media/2026/12/03/t/0.png'), orig_prompt: 'a red fox' }, { code: 'DataInspectionFailed', message: 'Output data may contain inappropriate content.' }],
      task_metrics: { TOTAL: 2, SUCCEEDED: 1, FAILED: 1 },
    });
    expect(r.json.usage).toEqual({ image_count: 1 });
  });

  it('answers a persisted task of another type (speech, made through /v1/tasks) with its URL in results[], never video_url', async () => {
    const t = await storedTask({ type: 'text-to-speech', model: 'qwen3-tts-flash', status: 'PERSISTED', input: { text: 'hello' }, parameters: { voice: 'Cherry' }, outputs: [{ index: 0, key: 'media/2026/12/03/t/0.wav' }] });
    const r = await call(KEY_A, 'GET', `/api/v1/tasks/${t.id}`);
    expect(r.json.output).toMatchObject({ task_status: 'SUCCEEDED', results: [{ url: expect.stringContaining('/_oss/media/2026/12/03/t/0.wav') }] });
    expect(r.json.output).not.toHaveProperty('video_url');
    expect(r.json.output).not.toHaveProperty('task_metrics');
  });

  it.each([
    { status: 'FAILED', error: { code: 'InvalidParameter.FileDownload', message: 'download failed' }, native: 'FAILED' },
    { status: 'EXPIRED', error: { code: 'ResultsExpired', message: 'the result URLs expired before the results could be copied to storage' }, native: 'FAILED' },
    { status: 'CANCELED', error: undefined, native: 'CANCELED' },
    { status: 'QUEUED', error: undefined, native: 'PENDING' },
    { status: 'RUNNING', error: undefined, native: 'RUNNING' },
  ] as const)('answers a $status task as DashScope status $native, an error inside output', async ({ status, error, native }) => {
    const t = await storedTask({ status, ...(error ? { error } : {}) });
    const r = await call(KEY_A, 'GET', `/api/v1/tasks/${t.id}`);
    expect(r.status).toBe(200);
    expect(r.json.output).toMatchObject({ task_id: t.id, task_status: native, ...(error ?? {}) });
    expect(r.json.output!.end_time === undefined).toBe(native === 'PENDING' || native === 'RUNNING');
  });

  it('cancels a PENDING task at the cancel path, refuses a second cancel with UnsupportedOperation, and cancels nothing of another tenant', async () => {
    const id = (await call(KEY_A, 'POST', VIDEO, video)).json.output!.task_id as string;
    const theirs = await call(KEY_B, 'POST', `/api/v1/tasks/${id}/cancel`);
    expect(theirs.status).toBe(404);
    expect(theirs.json).toEqual({ code: 'NotFound', message: `no task with id '${id}'`, request_id: expect.any(String) });
    expect((await h.tasks.get(id))?.status).toBe('PENDING');
    const r = await call(KEY_A, 'POST', `/api/v1/tasks/${id}/cancel`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ request_id: r.headers.get('x-request-id') });
    expect((await call(KEY_A, 'GET', `/api/v1/tasks/${id}`)).json.output).toMatchObject({ task_status: 'CANCELED', end_time: expect.any(String) });
    const again = await call(KEY_A, 'POST', `/api/v1/tasks/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'UnsupportedOperation', message: expect.stringContaining('is CANCELED') });
  });
});
