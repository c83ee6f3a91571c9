// chat-stream under DashScope's failures, injected by the emulator: a 429 before the first byte is retried
// invisibly, a reset mid-stream reaches the client as an error event, DashScope's errors keep their code and
// request id, and a client that goes away cancels the upstream request.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatStack, type ChatStack } from './harness.ts';

const CHAT_PATH = '/compatible-mode/v1/chat/completions';
let stack: ChatStack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startChatStack({ env: { DASHSCOPE_MAX_RETRIES: '1' } });
  client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => stack?.close());

const newRequests = (from: number) => stack.emu.requests.slice(from).filter((r) => r.path === CHAT_PATH);

async function collect(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<{ text: string; error?: unknown }> {
  let text = '';
  try {
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    return { text };
  } catch (error) {
    return { text, error };
  }
}

describe('faults before the first byte', () => {
  it('retries a 429 before the first byte, and the client sees one clean stream', async () => {
    const messages = [{ role: 'user' as const, content: 'Tell me about tea.' }];
    const clean = await collect(await client.chat.completions.create({ model: 'qwen-plus', messages, stream: true }));
    const before = stack.emu.requests.length;
    stack.emu.faults.add({ match: { path: CHAT_PATH }, times: 1, fault: { kind: 'status', status: 429 } });
    const retried = await collect(await client.chat.completions.create({ model: 'qwen-plus', messages, stream: true }));
    expect(retried.error).toBeUndefined();
    expect(retried.text).toBe(clean.text);
    expect(newRequests(before).map((r) => r.status)).toEqual([429, 200]);
  });

  it('retries a stream that broke after its head but before its first chunk, and the client sees one clean stream', async () => {
    const messages = [{ role: 'user' as const, content: 'Tell me about coffee.' }];
    const clean = await collect(await client.chat.completions.create({ model: 'qwen-plus', messages, stream: true }));
    const before = stack.emu.requests.length;
    stack.emu.faults.add({ match: { path: CHAT_PATH }, times: 1, fault: { kind: 'reset', afterBytes: 10 } });
    const retried = await collect(await client.chat.completions.create({ model: 'qwen-plus', messages, stream: true }));
    expect(retried.error).toBeUndefined();
    expect(retried.text).toBe(clean.text);
    expect(newRequests(before)).toHaveLength(2);
  });

  it("answers DashScope's own error with its code, a fitting status and its request id", async () => {
    const before = stack.emu.requests.length;
    stack.emu.faults.add({ match: { path: CHAT_PATH }, times: 2, fault: { kind: 'status', status: 500 } });
    const res = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-plus', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string; message: string; type: string; request_id: string } };
    const upstreamIds = newRequests(before).map((r) => r.requestId);
    expect(upstreamIds).toHaveLength(2);
    expect(body.error).toMatchObject({ code: 'internal_error', type: 'api_error' });
    expect(body.error.message).toContain(upstreamIds[1]);
    expect(res.headers.get('x-dashscope-request-id')).toBe(upstreamIds[1]);
    expect(res.headers.get('x-request-id')).toBe(body.error.request_id);
  });

  it('passes a DashScope 400 through with its code and message, without retrying it', async () => {
    const before = stack.emu.requests.length;
    stack.emu.faults.add({ match: { path: CHAT_PATH }, times: 1, fault: { kind: 'status', status: 400, code: 'invalid_parameter_error', message: 'Range of input length should be [1, 30720]' } });
    const err = await client.chat.completions.create({ model: 'qwen-plus', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ code: 'invalid_parameter_error' });
    expect((err as Error).message).toContain('Range of input length');
    expect(newRequests(before)).toHaveLength(1);
  });
});

describe('faults mid-stream', () => {
  it('ends the stream with an error event when DashScope resets mid-stream, and does not retry', async () => {
    const before = stack.emu.requests.length;
    stack.emu.faults.add({ match: { path: CHAT_PATH }, times: 1, fault: { kind: 'reset', afterBytes: 900 } });
    const res = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-plus', messages: [{ role: 'user', content: 'Write a long story about the sea.' }], stream: true }),
    });
    expect(res.status).toBe(200);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events.length).toBeGreaterThan(1);
    expect(events).not.toContain('data: [DONE]');
    const last = JSON.parse(events.at(-1)!.replace(/^data: /, '')) as { error?: { code: string; type: string; request_id: string } };
    expect(last.error).toMatchObject({ type: 'api_error', request_id: expect.any(String) });
    expect(newRequests(before)).toHaveLength(1);
    const log = stack.requestLogs().findLast((l) => l.requestId === last.error?.request_id);
    expect(log).toMatchObject({ end: 'failed', stream: true });
  });

  it('surfaces the mid-stream error to the openai SDK as an APIError after the first chunks', async () => {
    stack.emu.faults.add({ match: { path: CHAT_PATH }, times: 1, fault: { kind: 'reset', afterBytes: 900 } });
    const r = await collect(await client.chat.completions.create({ model: 'qwen-plus', messages: [{ role: 'user', content: 'Write a long story about rivers.' }], stream: true }));
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.error).toBeInstanceOf(OpenAI.APIError);
  });
});

describe('client disconnects', () => {
  let slow: ChatStack;
  beforeAll(async () => {
    slow = await startChatStack({ emulator: { chunkDelayMs: 10, replyTokens: 60 } });
  });
  afterAll(async () => slow?.close());

  it('delivers each chunk while DashScope is still streaming, not after it finished', async () => {
    const before = slow.emu.requests.length;
    const res = await fetch(`${slow.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-plus', messages: [{ role: 'user', content: 'Tell a long tale.' }], stream: true }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const reader = res.body!.getReader();
    await reader.read();
    const firstAt = Date.now();
    let tail = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      tail = new TextDecoder().decode(value);
    }
    expect(tail.endsWith('data: [DONE]\n\n')).toBe(true);
    const entry = slow.emu.requests.slice(before).find((r) => r.path === CHAT_PATH)!;
    expect(entry.endedAt).not.toBeNull();
    expect(firstAt).toBeLessThan(entry.endedAt!);
  });

  it('cancels the upstream request when the client aborts mid-stream (observed by the emulator after the abort)', async () => {
    const c = new OpenAI({ baseURL: slow.baseURL, apiKey: 'unused', maxRetries: 0 });
    const before = slow.emu.requests.length;
    const controller = new AbortController();
    const stream = await c.chat.completions.create({ model: 'qwen-plus', messages: [{ role: 'user', content: 'Count slowly to a thousand.' }], stream: true }, { signal: controller.signal });
    let seen = 0;
    let abortedAt = 0;
    try {
      for await (const _ of stream) {
        if (++seen === 3) {
          abortedAt = Date.now();
          controller.abort();
        }
      }
    } catch {
      // the SDK may surface the abort as an error; the point is what happened upstream
    }
    const abortedUpstream = (r: { path: string; aborted: boolean }) => r.path === CHAT_PATH && r.aborted;
    await slow.emu.whenRequests((all) => all.slice(before).some(abortedUpstream));
    const entry = slow.emu.requests.slice(before).find(abortedUpstream)!;
    expect(entry.abortedAt).not.toBeNull();
    expect(entry.abortedAt!).toBeGreaterThanOrEqual(abortedAt);
    expect(entry.startedAt).toBeLessThanOrEqual(abortedAt);
    const log = await slow.logged((l) => l.msg === 'request' && l.path === '/v1/chat/completions' && l.end === 'aborted');
    expect(log).toMatchObject({ status: 499, model: 'qwen-plus' });
  });
});
