// The DashScope client against the emulator's fault injection: what is retried, what is never re-sent, how
// failures are typed, and that a caller who goes away cancels the upstream request. Sleeps between retries
// are skipped (injected), so nothing here depends on wall-clock speed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../dev/emulator/server.ts';
import type { Emulator } from '../../dev/emulator/server.ts';
import { DashScopeClient } from '../../shared/dashscope/client.ts';
import type { DashScopeClientOptions } from '../../shared/dashscope/client.ts';
import { DashScopeAbortedError, DashScopeAmbiguousError, DashScopeApiError, DashScopeStreamError, DashScopeTimeoutError } from '../../shared/dashscope/errors.ts';

const CHAT = '/compatible-mode/v1/chat/completions';
const T2I = '/api/v1/services/aigc/text2image/image-synthesis';
const EMB = '/compatible-mode/v1/embeddings';
const chatBody = { model: 'qwen-plus', messages: [{ role: 'user', content: 'Say hello' }] };
const t2iBody = { model: 'wan2.2-t2i-flash', input: { prompt: 'a lighthouse at dusk' }, parameters: { size: '1024*1024', n: 1 } };

let emu: Emulator;
let client: DashScopeClient;

function makeClient(over: Partial<DashScopeClientOptions> = {}): DashScopeClient {
  return new DashScopeClient({ origin: emu.url, apiKey: emu.apiKey, timeoutMs: 10_000, maxRetries: 2, retry: { sleep: async () => {} }, ...over });
}

const requestsTo = (path: string) => emu.requests.filter((r) => r.path === path);

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  client = makeClient();
});
afterAll(async () => {
  await client.close();
  await emu.close();
});
beforeEach(() => emu.reset());

describe('retries', () => {
  it('retries a 429 once and the caller sees the success', async () => {
    emu.faults.add({ match: { path: CHAT }, times: 1, fault: { kind: 'status', status: 429 } });
    const r = await client.chat(chatBody);
    expect(r.completion.choices[0]?.message.content).toBeTruthy();
    expect(requestsTo(CHAT).map((q) => q.status)).toEqual([429, 200]);
    expect(r.requestId).toBe(requestsTo(CHAT)[1]!.requestId);
  });

  it('retries 500 twice and then succeeds', async () => {
    emu.faults.add({ match: { path: CHAT }, times: 2, fault: { kind: 'status', status: 500 } });
    await client.chat(chatBody);
    expect(requestsTo(CHAT).map((q) => q.status)).toEqual([500, 500, 200]);
  });

  it('gives up after maxRetries and reports the last 503', async () => {
    emu.faults.add({ match: { path: CHAT }, times: 5, fault: { kind: 'status', status: 503 } });
    await expect(client.chat(chatBody)).rejects.toMatchObject({ status: 503, retryable: true });
    expect(requestsTo(CHAT)).toHaveLength(3);
  });

  it('does not retry a 400 (non-streamed thinking) and carries the compat envelope', async () => {
    // qwen3-32b thinks only when streamed (qwen-plus answers thinking without streaming since 2026-08)
    const err = await client.chat({ ...chatBody, model: 'qwen3-32b', enable_thinking: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeApiError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_parameter_error', type: 'invalid_request_error', retryable: false });
    expect((err as Error).message).toMatch(/enable_thinking/);
    expect(requestsTo(CHAT)).toHaveLength(1);
    expect((err as DashScopeApiError).requestId).toBe(requestsTo(CHAT)[0]!.requestId);
  });

  it('retries a task create refused with 429 (nothing was created) and creates it once', async () => {
    emu.faults.add({ match: { path: T2I }, times: 1, fault: { kind: 'status', status: 429 } });
    const r = await client.createTask('text2image', t2iBody);
    expect(r.status).toBe('PENDING');
    expect(requestsTo(T2I).map((q) => q.status)).toEqual([429, 200]);
    expect(emu.tasks.list().map((t) => t.taskId)).toEqual([r.taskId]);
  });
});

describe('authentication errors', () => {
  it('maps a 401 on compatible mode to DashScopeApiError with code and request id, not retried', async () => {
    const bad = makeClient({ apiKey: 'sk-not-the-key' });
    try {
      const err = await bad.chat(chatBody).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DashScopeApiError);
      expect(err).toMatchObject({ status: 401, code: 'invalid_api_key', retryable: false });
      expect((err as DashScopeApiError).requestId).toBe(requestsTo(CHAT)[0]!.requestId);
      expect(requestsTo(CHAT)).toHaveLength(1);
    } finally {
      await bad.close();
    }
  });

  it('maps a 401 on the native API from its top-level envelope', async () => {
    const bad = makeClient({ apiKey: 'sk-not-the-key' });
    try {
      const err = await bad.getTask('00000000-0000-0000-0000-000000000000').catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 401, code: 'InvalidApiKey' });
      expect((err as DashScopeApiError).requestId).toBe(emu.requests[0]!.requestId);
    } finally {
      await bad.close();
    }
  });
});

describe('streams', () => {
  it('surfaces a reset mid-stream as DashScopeStreamError and does not retry it', async () => {
    const { stream, requestId } = await client.chatRelay(chatBody, { headers: { 'X-Emulator-Fault': 'reset=400' } });
    expect(requestId).toBeTruthy();
    const err = await stream.pump(() => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeStreamError);
    expect(err).toMatchObject({ code: 'stream_interrupted', requestId, retryable: false });
    expect(requestsTo(CHAT)).toHaveLength(1);
  });

  it('streams a whole answer and stops at [DONE]', async () => {
    const { stream } = await client.chatRelay({ ...chatBody, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null | undefined;
    let usage: unknown;
    await stream.pump((read) => {
      for (const { chunk } of read) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        usage = chunk.usage ?? usage;
      }
    });
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ total_tokens: expect.any(Number) });
  });

  it('cancels the upstream request when the consumer stops reading', async () => {
    // a second between chunks: the answer cannot be complete when the consumer stops after the first one
    const slow = await startEmulator({ port: 0, chunkDelayMs: 1_000 });
    const c = new DashScopeClient({ origin: slow.url, apiKey: slow.apiKey, timeoutMs: 10_000, maxRetries: 0 });
    try {
      const { stream } = await c.chatRelay(chatBody);
      await stream
        .pump(() => {
          throw new Error('enough');
        })
        .catch(() => undefined);
      await slow.whenRequests((all) => all[0]?.endedAt != null);
      expect(slow.requests).toHaveLength(1);
      expect(slow.requests[0]).toMatchObject({ path: CHAT, aborted: true });
    } finally {
      await c.close();
      await slow.close();
    }
  });
});

describe('cancellation', () => {
  it('aborting the caller signal cancels the upstream request (the emulator logs aborted: true)', async () => {
    const controller = new AbortController();
    const call = client.chat(chatBody, { signal: controller.signal, headers: { 'X-Emulator-Fault': 'latency=60000' } });
    await emu.whenRequests(() => requestsTo(CHAT).length === 1);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(DashScopeAbortedError);
    await emu.whenRequests(() => requestsTo(CHAT)[0]!.endedAt != null);
    expect(requestsTo(CHAT)[0]).toMatchObject({ aborted: true });
    expect(requestsTo(CHAT)).toHaveLength(1);
  });
});

describe('ambiguous task creation', () => {
  it('reset-after-commit: throws DashScopeAmbiguousError, the task exists exactly once, nothing re-sent', async () => {
    emu.faults.add({ match: { path: T2I }, times: 1, fault: { kind: 'reset-after-commit' } });
    const err = await client.createTask('text2image', t2iBody).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeAmbiguousError);
    expect((err as DashScopeAmbiguousError).request).toMatchObject({ path: T2I, model: 'wan2.2-t2i-flash', attempts: 1 });
    expect(requestsTo(T2I)).toHaveLength(1);
    expect(emu.tasks.list()).toHaveLength(1);
  });

  it('a 504 from a gateway is ambiguous for a create: not re-sent, while a 503 is retried', async () => {
    emu.faults.add({ match: { path: T2I }, times: 1, fault: { kind: 'status', status: 504 } });
    const err = await client.createTask('text2image', t2iBody).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeAmbiguousError);
    expect(requestsTo(T2I)).toHaveLength(1);
    emu.faults.add({ match: { path: T2I }, times: 1, fault: { kind: 'status', status: 503 } });
    await expect(client.createTask('text2image', t2iBody)).resolves.toMatchObject({ status: 'PENDING' });
    expect(requestsTo(T2I)).toHaveLength(3);
  });

  it('the reconciliation window of the error finds the created task with listTasks', async () => {
    emu.faults.add({ match: { path: T2I }, times: 1, fault: { kind: 'reset-after-commit' } });
    const err = (await client.createTask('text2image', t2iBody).catch((e: unknown) => e)) as DashScopeAmbiguousError;
    const { sentAt, failedAt, model } = err.request;
    const listed = await client.listTasks({ start_time: new Date(sentAt.getTime() - 60_000), end_time: new Date(failedAt.getTime() + 60_000), model_name: model });
    expect(listed.data?.map((t) => t.task_id)).toEqual(emu.tasks.list().map((t) => t.taskId));
  });

  it('hang with a short timeout: throws DashScopeAmbiguousError after one request, and cancels it', async () => {
    const quick = makeClient({ timeoutMs: 300 });
    try {
      const err = await quick.createTask('text2image', t2iBody, { headers: { 'X-Emulator-Fault': 'hang' } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DashScopeAmbiguousError);
      expect((err as Error).cause).toBeInstanceOf(DashScopeTimeoutError);
      expect(requestsTo(T2I)).toHaveLength(1);
      // a hanging DashScope may or may not have created it; it certainly was not asked twice
      expect(emu.tasks.list().length).toBeLessThanOrEqual(1);
      await emu.whenRequests(() => requestsTo(T2I)[0]!.endedAt != null);
      expect(requestsTo(T2I)[0]!.aborted).toBe(true);
    } finally {
      await quick.close();
    }
  });
});

describe('native endpoints end to end', () => {
  it('creates a task and reads it settled, with result URLs', async () => {
    const fast = await startEmulator({ port: 0, taskTimings: { image: { pendingMs: 0, runningMs: 0 } } });
    const c = new DashScopeClient({ origin: fast.url, apiKey: fast.apiKey, timeoutMs: 10_000, maxRetries: 0 });
    try {
      const { taskId } = await c.createTask('text2image', t2iBody);
      // no pending or running time: settled the moment it is created
      const t = await c.getTask(taskId);
      expect(t.output.task_status).toBe('SUCCEEDED');
      expect(t.output.results?.[0]).toMatchObject({ url: expect.stringMatching(/^https?:\/\//) });
      expect(t.requestId).toBeTruthy();
    } finally {
      await c.close();
      await fast.close();
    }
  });

  it('cancel of a task past PENDING is a native 400 UnsupportedOperation, not retried', async () => {
    const slow = await startEmulator({ port: 0, taskTimings: { image: { pendingMs: 0, runningMs: 3_600_000 } } });
    const c = new DashScopeClient({ origin: slow.url, apiKey: slow.apiKey, timeoutMs: 10_000, maxRetries: 2, retry: { sleep: async () => {} } });
    try {
      const { taskId } = await c.createTask('text2image', t2iBody);
      // no time to wait: the task starts running the moment it is created
      expect(slow.tasks.list()[0]?.status).toBe('RUNNING');
      const err = await c.cancelTask(taskId).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DashScopeApiError);
      expect(err).toMatchObject({ status: 400, code: 'UnsupportedOperation' });
      expect(slow.requests.filter((r) => r.path.endsWith('/cancel'))).toHaveLength(1);
    } finally {
      await c.close();
      await slow.close();
    }
  });
});

describe('embeddings', () => {
  const embedBody = { model: 'text-embedding-v4', input: ['a', 'b'], dimensions: 64 };

  it('embeds as floats and returns the request id the emulator logged', async () => {
    const e = await client.embed(embedBody);
    expect(e.response.data.map((d) => d.embedding.length)).toEqual([64, 64]);
    expect(requestsTo(EMB).map((q) => q.status)).toEqual([200]);
    expect(e.requestId).toBe(requestsTo(EMB)[0]!.requestId);
  });

  it('retries a 429 and a 500 and the caller sees the success', async () => {
    emu.faults.add({ match: { path: EMB }, times: 1, fault: { kind: 'status', status: 429 } });
    emu.faults.add({ match: { path: EMB }, times: 1, fault: { kind: 'status', status: 500 } });
    const e = await client.embed(embedBody);
    expect(requestsTo(EMB).map((q) => q.status)).toEqual([429, 500, 200]);
    expect(e.requestId).toBe(requestsTo(EMB)[2]!.requestId);
  });

  it('maps a 401 to DashScopeApiError with code and request id, not retried', async () => {
    const bad = makeClient({ apiKey: 'sk-not-the-key' });
    try {
      const err = await bad.embed(embedBody).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DashScopeApiError);
      expect(err).toMatchObject({ status: 401, code: 'invalid_api_key', retryable: false, requestId: requestsTo(EMB)[0]!.requestId });
      expect(requestsTo(EMB)).toHaveLength(1);
    } finally {
      await bad.close();
    }
  });

  it('aborting the caller signal cancels the upstream request (the emulator logs aborted: true)', async () => {
    const controller = new AbortController();
    const call = client.embed(embedBody, { signal: controller.signal, headers: { 'X-Emulator-Fault': 'latency=60000' } });
    await emu.whenRequests(() => requestsTo(EMB).length === 1);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(DashScopeAbortedError);
    await emu.whenRequests(() => requestsTo(EMB)[0]!.endedAt != null);
    expect(requestsTo(EMB)[0]).toMatchObject({ aborted: true });
  });
});
