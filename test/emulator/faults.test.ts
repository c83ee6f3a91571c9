// Fault injection (README "Faults"), every kind, through the three ways in: the programmatic queue / control
// API, the X-Emulator-Fault header, and run-wide faults given at start.
import type { APIError } from 'openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/server.ts';
import { get, nativeFrames, post } from './helpers.ts';

let emu: Emulator;
let client: OpenAI;
beforeAll(async () => {
  emu = await startEmulator({
    port: 0,
    chunkDelayMs: 1,
    videoBytes: 2 * 1024 * 1024,
    taskTimings: { image: { pendingMs: 0, runningMs: 0 }, video: { pendingMs: 0, runningMs: 0 } },
    rateLimits: { '*': { submitsPerSecond: Infinity, concurrentTasks: Infinity } },
    taskQueryQps: Infinity,
  });
  client = new OpenAI({ baseURL: `${emu.url}/compatible-mode/v1`, apiKey: emu.apiKey, maxRetries: 0 });
});
beforeEach(() => emu.reset());
afterAll(() => emu.close());

const CHAT = '/compatible-mode/v1/chat/completions';
const chat = { model: 'qwen-plus', messages: [{ role: 'user' as const, content: 'Tell me a story about a lighthouse' }] };
const last = () => emu.requests.at(-1)!;

describe('status', () => {
  it('answers 429 limit_requests in the compat envelope, which the openai SDK retries once to success', async () => {
    emu.faults.add({ match: { path: CHAT }, times: 1, fault: { kind: 'status', status: 429 } });
    const retrying = new OpenAI({ baseURL: `${emu.url}/compatible-mode/v1`, apiKey: emu.apiKey, maxRetries: 1 });
    const r = await retrying.chat.completions.create(chat);
    expect(r.choices[0]!.message.content).toMatch(/lighthouse/);
    expect(emu.requests.map((q) => q.status)).toEqual([429, 200]);
    expect(emu.requests[0]!.faults).toEqual(['status']);
  });

  it('carries code limit_requests and no Retry-After', async () => {
    const res = await post(emu, CHAT, chat, { 'X-Emulator-Fault': 'status=429' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'limit_requests', message: 'Requests rate limit exceeded, please try again later.' });
  });

  it('answers 500 InternalError in the native envelope and as an event:error frame for native SSE', async () => {
    const plain = await get(emu, '/api/v1/tasks/x', { 'X-Emulator-Fault': 'status=500' });
    expect(plain.status).toBe(500);
    expect(await plain.json()).toMatchObject({ code: 'InternalError', request_id: plain.headers.get('x-request-id') });
    const sse = await post(emu, '/api/v1/services/aigc/multimodal-generation/generation', { model: 'qwen3-tts-flash', input: { text: 'hi' } }, { 'X-Emulator-Fault': 'status=503', 'X-DashScope-SSE': 'enable' });
    expect(sse.status).toBe(503);
    expect(nativeFrames(await sse.text())[0]).toMatchObject({ event: 'error', status: '503', data: { code: 'ModelUnavailable' } });
  });

  it('uses a given code and message', async () => {
    emu.faults.add({ fault: { kind: 'status', status: 400, code: 'DataInspectionFailed', message: 'Input data may contain inappropriate content.' } });
    const err = (await client.chat.completions.create(chat).catch((e: unknown) => e)) as APIError;
    expect([err.status, err.code, (err.error as { message: string }).message]).toEqual([400, 'DataInspectionFailed', 'Input data may contain inappropriate content.']);
  });
});

describe('reset', () => {
  it('destroys the connection at once', async () => {
    await expect(post(emu, CHAT, chat, { 'X-Emulator-Fault': 'reset' })).rejects.toThrow();
    await expect.poll(() => last().endedAt).not.toBeNull();
    expect(last()).toMatchObject({ status: null, aborted: false, faults: ['reset'] });
  });

  it('cuts an SSE stream after N bytes: the openai SDK sees some chunks, then an error', async () => {
    emu.faults.add({ match: { path: CHAT }, fault: { kind: 'reset', afterBytes: 1500 } });
    const stream = await client.chat.completions.create({ ...chat, stream: true });
    let chunks = 0;
    const outcome = await (async () => {
      for await (const _ of stream) chunks++;
    })().then(() => 'completed', () => 'failed');
    expect(outcome).toBe('failed');
    expect(chunks).toBeGreaterThan(0);
    await expect.poll(() => last().endedAt).not.toBeNull();
    expect(emu.requests).toHaveLength(1);
    expect(last()).toMatchObject({ status: 200, aborted: false, faults: ['reset'] });
  });

  it('cuts a result download mid-body', async () => {
    const created = (await (await post(emu, '/api/v1/services/aigc/video-generation/video-synthesis', { model: 'wan2.5-t2v-preview', input: { prompt: 'x' } }, { 'X-DashScope-Async': 'enable' })).json()) as { output: { task_id: string } };
    const task = (await (await get(emu, `/api/v1/tasks/${created.output.task_id}`)).json()) as { output: { video_url: string } };
    emu.faults.add({ match: { path: '/results/' }, fault: { kind: 'reset', afterBytes: 100_000 } });
    const res = await fetch(task.output.video_url);
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBe(2 * 1024 * 1024);
    await expect(res.arrayBuffer()).rejects.toThrow();
    const again = await fetch(task.output.video_url);
    expect((await again.arrayBuffer()).byteLength).toBe(2 * 1024 * 1024);
  });

  it('reset-after-commit creates the task but the client never sees the answer', async () => {
    emu.faults.add({ match: { path: '/api/v1/services/aigc/text2image' }, fault: { kind: 'reset-after-commit' } });
    await expect(post(emu, '/api/v1/services/aigc/text2image/image-synthesis', { model: 'wanx2.1-t2i-turbo', input: { prompt: 'x' } }, { 'X-DashScope-Async': 'enable' })).rejects.toThrow();
    const tasks = emu.tasks.list();
    expect(tasks).toHaveLength(1);
    await expect.poll(() => last().endedAt).not.toBeNull();
    expect(tasks[0]!.requestId).toBe(last().requestId);
    expect(last()).toMatchObject({ status: null, aborted: false });
  });
});

describe('hang and latency', () => {
  it('hang never answers; the client gives up and the log records the abort', async () => {
    emu.faults.add({ match: { model: 'qwen-plus' }, fault: { kind: 'hang' } });
    const err = await client.chat.completions.create(chat, { timeout: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    await expect.poll(() => last().aborted).toBe(true);
    expect(last().status).toBeNull();
    expect(last().abortedAt).not.toBeNull();
  });

  it('latency delays the answer (a client with a shorter deadline gives up), the rest is normal', async () => {
    emu.faults.add({ fault: { kind: 'latency', ms: 5_000 } });
    await expect(fetch(`${emu.url}${CHAT}`, { method: 'POST', headers: { authorization: `Bearer ${emu.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(chat), signal: AbortSignal.timeout(50) })).rejects.toThrow();
    emu.faults.add({ fault: { kind: 'latency', ms: 1 } });
    const r = await post(emu, CHAT, chat);
    expect(r.status).toBe(200);
    expect(last().faults).toEqual(['latency']);
  });
});

describe('task faults', () => {
  it('task-fail and partial-failure can be matched by model', async () => {
    emu.faults.add({ match: { model: 'wanx2.1-t2i-plus' }, fault: { kind: 'task-fail', code: 'InternalError.Timeout', message: 'timed out' } });
    emu.faults.add({ match: { model: 'wanx2.1-t2i-turbo' }, fault: { kind: 'partial-failure', failed: 2 } });
    const make = async (model: string) => {
      const c = (await (await post(emu, '/api/v1/services/aigc/text2image/image-synthesis', { model, input: { prompt: 'x' }, parameters: { n: 2 } }, { 'X-DashScope-Async': 'enable' })).json()) as { output: { task_id: string } };
      return ((await (await get(emu, `/api/v1/tasks/${c.output.task_id}`)).json()) as { output: Record<string, unknown> }).output;
    };
    expect(await make('wanx2.1-t2i-plus')).toMatchObject({ task_status: 'FAILED', code: 'InternalError.Timeout', message: 'timed out' });
    // Every image failed inspection: the task fails as a whole.
    expect(await make('wanx2.1-t2i-turbo')).toMatchObject({ task_status: 'FAILED', code: 'DataInspectionFailed' });
  });
});

describe('queue semantics', () => {
  it('consumes a rule `times` times, first added first, then answers normally', async () => {
    emu.faults.add({ match: { path: CHAT }, times: 2, fault: { kind: 'status', status: 500 } });
    emu.faults.add({ match: { path: CHAT }, fault: { kind: 'status', status: 503 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(emu, CHAT, chat)).status);
    expect(statuses).toEqual([500, 500, 503, 200]);
    expect(emu.faults.list()).toEqual([]);
  });

  it('matches on method and path prefix only', async () => {
    emu.faults.add({ match: { path: '/api/v1/tasks', method: 'POST' }, fault: { kind: 'status', status: 500 } });
    expect((await get(emu, '/api/v1/tasks/x')).status).toBe(200);
    expect((await post(emu, '/api/v1/tasks/x/cancel', {})).status).toBe(500);
  });

  it('rejects a malformed X-Emulator-Fault header with 400', async () => {
    expect((await post(emu, CHAT, chat, { 'X-Emulator-Fault': 'explode=1' })).status).toBe(400);
  });
});

describe('control API', () => {
  it('adds, lists and clears faults, reads the request log, moves the clock, resets and computes expected media', async () => {
    const base = `${emu.url}/_emulator`;
    const add = await fetch(`${base}/faults`, { method: 'POST', body: JSON.stringify({ match: { path: CHAT }, times: 3, fault: { kind: 'status', status: 502 } }) });
    expect(((await add.json()) as { id: string }).id).toBeTruthy();
    expect(((await (await fetch(`${base}/faults`)).json()) as unknown[]).length).toBe(1);
    expect((await fetch(`${base}/faults`, { method: 'POST', body: JSON.stringify({ fault: { kind: 'nope' } }) })).status).toBe(400);
    expect((await post(emu, CHAT, chat)).status).toBe(502);
    await fetch(`${base}/faults`, { method: 'DELETE' });
    expect((await post(emu, CHAT, chat)).status).toBe(200);
    const log = (await (await fetch(`${base}/requests`)).json()) as { path: string; status: number; model: string }[];
    expect(log.map((e) => [e.path, e.status, e.model])).toEqual([[CHAT, 502, 'qwen-plus'], [CHAT, 200, 'qwen-plus']]);
    const before = emu.clock.nowMs();
    const moved = (await (await fetch(`${base}/clock`, { method: 'POST', body: JSON.stringify({ advanceMs: 3_600_000 }) })).json()) as { nowMs: number };
    expect(moved.nowMs).toBeGreaterThanOrEqual(before + 3_600_000);
    await fetch(`${base}/reset`, { method: 'POST' });
    expect(emu.requests).toEqual([]);
  });
});

describe('run-wide faults', () => {
  it('applies short forms given at start to every matching request, by probability', async () => {
    const always = await startEmulator({ port: 0, faults: 'latency=1;status=503@1' });
    const never = await startEmulator({ port: 0, faults: 'status=500@0' });
    try {
      for (let i = 0; i < 3; i++) {
        const a = await fetch(`${always.url}${CHAT}`, { method: 'POST', headers: { authorization: `Bearer ${always.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(chat) });
        expect(a.status).toBe(503);
        const n = await fetch(`${never.url}${CHAT}`, { method: 'POST', headers: { authorization: `Bearer ${never.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(chat) });
        expect(n.status).toBe(200);
      }
      expect(always.requests[0]!.faults).toEqual(['latency', 'status']);
    } finally {
      await Promise.all([always.close(), never.close()]);
    }
  });

  it('refuses to start with a malformed fault list', async () => {
    await expect(startEmulator({ port: 0, faults: 'status=abc' })).rejects.toThrow(/status/);
  });
});
