// chat-stream driven by the `openai` SDK, the DashScope emulator behind it: plain and streamed answers,
// thinking both ways, JSON mode, a tool-call round trip, embeddings in order, and request validation.
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatStack, type ChatStack } from './harness.ts';

let stack: ChatStack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startChatStack();
  client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'unused-by-chat-stream', maxRetries: 0 });
});
afterAll(async () => stack?.close());

/** DashScope's extras ride in the body; the SDK sends unknown fields as they are. */
type WithExtras<T> = T & { enable_thinking?: boolean; thinking_budget?: number };
const ask = (content: string) => [{ role: 'user' as const, content }];

describe('chat completions through the openai SDK', () => {
  it('answers a plain request with content, finish reason and usage', async () => {
    const r = await client.chat.completions.create({ model: 'qwen-plus', messages: ask('Name three rivers.') });
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(r.choices[0]?.finish_reason).toBe('stop');
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(r.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('streams the same answer chunk by chunk, ending cleanly, with usage only when asked for', async () => {
    const plain = await client.chat.completions.create({ model: 'qwen-plus', messages: ask('Describe the sea.') });
    const before = stack.upstream.length;
    const stream = await client.chat.completions.create({ model: 'qwen-plus', messages: ask('Describe the sea.'), stream: true });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(plain.choices[0]?.message.content);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    // usage is always requested upstream, so the call is accounted even when the client did not ask
    expect(stack.upstream[before]).toMatchObject({ op: 'chatRelay', body: { stream: true, stream_options: { include_usage: true } } });

    const withUsage = await client.chat.completions.create({ model: 'qwen-plus', messages: ask('Describe the sea.'), stream: true, stream_options: { include_usage: true } });
    const last = [];
    for await (const c of withUsage) last.push(c);
    expect(last.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) } });
  });

  it('streams thinking as reasoning_content deltas before the answer', async () => {
    const body: WithExtras<ChatCompletionCreateParamsStreaming> = { model: 'qwen-plus', messages: ask('Is 91 prime?'), stream: true, enable_thinking: true };
    const kinds: string[] = [];
    for await (const c of await client.chat.completions.create(body)) {
      const d = c.choices[0]?.delta as { content?: string | null; reasoning_content?: string | null } | undefined;
      if (d?.reasoning_content) kinds.push('reasoning');
      if (d?.content) kinds.push('content');
    }
    expect(kinds[0]).toBe('reasoning');
    expect(kinds.at(-1)).toBe('content');
    expect(kinds.lastIndexOf('reasoning')).toBeLessThan(kinds.indexOf('content'));
  });

  it('answers thinking without streaming on a stream-only model as one completion with reasoning, answer and usage', async () => {
    const before = stack.upstream.length;
    const body: WithExtras<ChatCompletionCreateParamsNonStreaming> = { model: 'qwen-plus', messages: ask('Is 97 prime?'), enable_thinking: true };
    const r = await client.chat.completions.create(body);
    const msg = r.choices[0]?.message as { content: string | null; reasoning_content?: string };
    expect(r.object).toBe('chat.completion');
    expect(msg.reasoning_content?.length).toBeGreaterThan(0);
    expect(msg.content?.length).toBeGreaterThan(0);
    expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBeGreaterThan(0);
    expect(stack.upstream.slice(before).map((u) => u.op)).toEqual(['chatRelay']);
  });

  it('maps reasoning_effort onto thinking', async () => {
    const before = stack.upstream.length;
    const r = await client.chat.completions.create({ model: 'qwen-plus', messages: ask('Is 51 prime?'), reasoning_effort: 'low' });
    expect((r.choices[0]?.message as { reasoning_content?: string }).reasoning_content?.length).toBeGreaterThan(0);
    expect(stack.upstream[before]?.body).toMatchObject({ enable_thinking: true, thinking_budget: 4_096 });
    expect(stack.upstream[before]?.body).not.toHaveProperty('reasoning_effort');
  });

  it('answers JSON mode with valid JSON', async () => {
    const r = await client.chat.completions.create({ model: 'qwen-plus', messages: ask('List two colours as JSON.'), response_format: { type: 'json_object' } });
    expect(() => JSON.parse(r.choices[0]?.message.content ?? '')).not.toThrow();
  });

  it('serves JSON mode asked with thinking without thinking, and says so in a header', async () => {
    const body: WithExtras<ChatCompletionCreateParamsNonStreaming> = {
      model: 'qwen-plus',
      messages: ask('Answer in JSON.'),
      response_format: { type: 'json_object' },
      enable_thinking: true,
    };
    const { data, response } = await client.chat.completions.create(body).withResponse();
    expect(() => JSON.parse(data.choices[0]?.message.content ?? '')).not.toThrow();
    expect(response.headers.get('x-dashscope-fc-thinking')).toBe('disabled; reason=json-mode');
    expect(stack.upstream.at(-1)?.body).toMatchObject({ enable_thinking: false, response_format: { type: 'json_object' } });
  });

  it('round-trips a streamed tool call: one call per index with its id, then the answer to the tool message', async () => {
    const tools = [
      { type: 'function' as const, function: { name: 'weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
    ];
    const messages: OpenAI.ChatCompletionMessageParam[] = ask('What is the weather in Hangzhou?');
    const runner = client.chat.completions.stream({ model: 'qwen-plus', messages, tools });
    const final = await runner.finalChatCompletion();
    const choice = final.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.id).toMatch(/^call_/);
    expect(call.function.name).toBe('weather');
    expect(() => JSON.parse(call.function.arguments)).not.toThrow();

    messages.push({ role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: '{"temp_c":21,"sky":"clear"}' });
    const answer = await client.chat.completions.create({ model: 'qwen-plus', messages, tools });
    expect(answer.choices[0]?.finish_reason).toBe('stop');
    expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });
});

describe('tool-call deltas on the wire', () => {
  it('sends the call id once per index, where DashScope repeats an empty id on every delta', async () => {
    const body = {
      model: 'qwen-plus',
      stream: true,
      messages: ask('Weather in Xiamen?'),
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    };
    const deltas = async (url: string, headers: Record<string, string>) => {
      const text = await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })).text();
      return text
        .split('\n\n')
        .filter((e) => e.startsWith('data: {'))
        .flatMap((e) => (JSON.parse(e.slice(6)) as OpenAI.ChatCompletionChunk).choices.flatMap((c) => c.delta.tool_calls ?? []));
    };
    const upstream = await deltas(`${stack.emu.url}/compatible-mode/v1/chat/completions`, { authorization: `Bearer ${stack.emu.apiKey}` });
    expect(upstream.slice(1).some((d) => d.id === '')).toBe(true);
    const ours = await deltas(`${stack.baseURL}/chat/completions`, {});
    expect(ours.length).toBe(upstream.length);
    expect(ours[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'weather' } });
    for (const d of ours.slice(1)) {
      expect(d).not.toHaveProperty('id');
      expect(d.function).not.toHaveProperty('name');
    }
  });
});

describe('request validation', () => {
  it('answers an unknown model with 404 model_not_found and no upstream call', async () => {
    const before = stack.emu.requests.length;
    const err = await client.chat.completions.create({ model: 'gpt-99', messages: ask('hi') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ code: 'model_not_found' });
    expect((err as Error).message).toContain('qwen-plus');
    expect(stack.emu.requests.length).toBe(before);
  });

  it('answers a bad role with 400 naming the field', async () => {
    const err = await client.chat.completions.create({ model: 'qwen-plus', messages: [{ role: 'robot', content: 'x' }] as never }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('messages.0.role');
  });

  it('answers a body over the byte cap with 413', async () => {
    const res = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-plus', messages: ask('x'.repeat(stack.config.CHAT_MAX_BODY_BYTES)) }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'request_too_large', type: 'invalid_request_error', request_id: expect.any(String) } });
  });
});

describe('embeddings through the openai SDK', () => {
  const texts = Array.from({ length: 37 }, (_, i) => `document number ${i} about ${['rivers', 'mountains', 'cities', 'forests'][i % 4]}`);

  it('embeds 37 inputs in input order with batches of 10 and summed usage', async () => {
    const before = stack.upstream.length;
    const r = await client.embeddings.create({ model: 'text-embedding-v4', input: texts });
    const calls = stack.upstream.slice(before);
    expect(calls.map((c) => (c.body.input as string[]).length)).toEqual([10, 10, 10, 7]);
    expect(calls.every((c) => c.body.encoding_format === 'float')).toBe(true);
    expect(r.data.map((d) => d.index)).toEqual(texts.map((_, i) => i));
    // the SDK asked for base64 by default and decoded it; the vectors must match single-text calls
    for (const i of [0, 9, 10, 23, 36]) {
      const one = await client.embeddings.create({ model: 'text-embedding-v4', input: texts[i]!, encoding_format: 'float' });
      const got = r.data[i]!.embedding;
      expect(got).toHaveLength(one.data[0]!.embedding.length);
      got.forEach((x, k) => expect(x).toBeCloseTo(one.data[0]!.embedding[k]!, 6));
    }
    expect(r.usage.prompt_tokens).toBeGreaterThan(0);
    const log = stack.requestLogs().findLast((l) => l.path === '/v1/embeddings' && l.inputs === 37);
    expect(log).toMatchObject({ batches: 4, status: 200 });
  });

  it('refuses too many inputs with 413 and a text over the token limit naming its index', async () => {
    const many = await fetch(`${stack.baseURL}/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'text-embedding-v4', input: Array.from({ length: stack.config.EMBEDDINGS_MAX_INPUTS + 1 }, () => 'x') }),
    });
    expect(many.status).toBe(413);
    expect(await many.json()).toMatchObject({ error: { code: 'too_many_inputs' } });
    const err = await client.embeddings.create({ model: 'text-embedding-v4', input: ['short', 'word '.repeat(40_000)] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ code: 'input_too_long', param: 'input.1' });
    expect((err as Error).message).toContain('input text 1');
  });
});

describe('models and health', () => {
  it('lists the catalogue in the OpenAI list shape with capabilities and prices', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain('qwen-plus');
    expect(ids).toContain('text-embedding-v4');
    const raw = (await (await fetch(`${stack.baseURL}/models`)).json()) as { object: string; data: Record<string, unknown>[] };
    expect(raw.object).toBe('list');
    expect(raw.data.find((m) => m.id === 'qwen-plus')).toMatchObject({
      object: 'model',
      owned_by: 'dashscope',
      kind: 'chat',
      capabilities: { thinking: 'optional', thinking_stream_only: true, json_mode: true, tools: true },
      price: { currency: 'CNY', input: 0.8, output: 2 },
    });
  });

  it('answers /healthz', async () => {
    const res = await fetch(`${stack.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true });
  });
});

describe('request logs', () => {
  it('writes one structured line per request with ids, model, status, latency, time to first token and tokens, but no prompt or key', async () => {
    const secretPrompt = 'the purple walrus sings at midnight';
    const stream = await client.chat.completions.create({ model: 'qwen-plus', messages: ask(secretPrompt), stream: true }, { headers: { 'x-request-id': 'req-log-check-1' } });
    let answer = '';
    for await (const c of stream) answer += c.choices[0]?.delta.content ?? '';
    const line = stack.requestLogs().find((l) => l.requestId === 'req-log-check-1');
    expect(line).toMatchObject({
      fn: 'chat-stream',
      level: 'info',
      method: 'POST',
      path: '/v1/chat/completions',
      model: 'qwen-plus',
      stream: true,
      status: 200,
      end: 'completed',
      dashscopeRequestId: expect.any(String),
      latencyMs: expect.any(Number),
      ttftMs: expect.any(Number),
      usage: { input: expect.any(Number), output: expect.any(Number), total: expect.any(Number) },
    });
    const everything = JSON.stringify(stack.logs);
    expect(everything).not.toContain(secretPrompt);
    expect(everything).not.toContain(answer.slice(0, 40));
    expect(everything).not.toContain(stack.emu.apiKey);
  });
});
