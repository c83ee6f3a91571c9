// Compatible-mode chat through the openai SDK (checklist 5–9): streaming order, thinking per model, JSON
// mode, tool calls with DashScope's streaming quirks, and the exact 400s.
import type { APIError } from 'openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/server.ts';
import { post, sseData } from './helpers.ts';

let emu: Emulator;
let client: OpenAI;
beforeAll(async () => {
  emu = await startEmulator({ port: 0, chunkDelayMs: 0 });
  client = new OpenAI({ baseURL: `${emu.url}/compatible-mode/v1`, apiKey: emu.apiKey, maxRetries: 0 });
});
afterAll(() => emu.close());

type Chunk = OpenAI.ChatCompletionChunk & { choices: (OpenAI.ChatCompletionChunk.Choice & { delta: { reasoning_content?: string | null } })[] };
const user = (content: string): OpenAI.ChatCompletionMessageParam[] => [{ role: 'user', content }];
const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: 'weather', description: 'Get the weather for a location', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } },
};

async function collect(params: Record<string, unknown>): Promise<Chunk[]> {
  const stream = await client.chat.completions.create({ ...params, stream: true } as unknown as OpenAI.ChatCompletionCreateParamsStreaming);
  const out: Chunk[] = [];
  for await (const c of stream) out.push(c as Chunk);
  return out;
}

async function badRequest(params: Record<string, unknown>): Promise<APIError> {
  const err = await client.chat.completions.create(params as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OpenAI.BadRequestError);
  return err as APIError;
}

describe('non-streamed chat', () => {
  it('answers a chat.completion whose text depends on the prompt and is the same each time', async () => {
    const a = await client.chat.completions.create({ model: 'qwen-plus', messages: user('Describe the lighthouse keeper') });
    const b = await client.chat.completions.create({ model: 'qwen-plus', messages: user('Describe the lighthouse keeper') });
    const c = await client.chat.completions.create({ model: 'qwen-plus', messages: user('Explain photosynthesis in plants') });
    expect(a.object).toBe('chat.completion');
    expect(a.choices[0]!.message.content).toContain('lighthouse');
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
    expect(c.choices[0]!.message.content).not.toBe(a.choices[0]!.message.content);
    expect(a.choices[0]!.finish_reason).toBe('stop');
    expect(a.usage!.total_tokens).toBe(a.usage!.prompt_tokens + a.usage!.completion_tokens);
    expect(a.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
  });

  it('stops at max_tokens with finish_reason length', async () => {
    const r = await client.chat.completions.create({ model: 'qwen-plus', messages: user('Write a long story about dragons'), max_tokens: 5 });
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(r.usage!.completion_tokens).toBe(5);
  });

  it('returns n choices', async () => {
    const r = await client.chat.completions.create({ model: 'qwen-plus', messages: user('Name a colour'), n: 3 });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2]);
  });

  it('rejects out-of-range parameters with 400 invalid_parameter_error', async () => {
    const err = await badRequest({ model: 'qwen-plus', messages: user('x'), temperature: 2 });
    expect(err.code).toBe('invalid_parameter_error');
  });
});

describe('streamed chat', () => {
  it('sends role chunk, content chunks, finish chunk with usage null, usage chunk, then [DONE]', async () => {
    const res = await post(emu, '/compatible-mode/v1/chat/completions', {
      model: 'qwen-plus', stream: true, stream_options: { include_usage: true }, messages: user('Tell me about rivers'),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const data = sseData(await res.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Chunk);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ content: '', role: 'assistant' });
    const finish = chunks.at(-2)!;
    expect(finish.choices[0]!.finish_reason).toBe('stop');
    expect(finish.usage).toBeNull();
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage!.completion_tokens).toBeGreaterThan(0);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0]!.id).toBe(`chatcmpl-${res.headers.get('x-request-id')}`);
  });

  it('omits the usage chunk without include_usage', async () => {
    const chunks = await collect({ model: 'qwen-plus', messages: user('Tell me about rivers') });
    expect(chunks.every((c) => c.choices.length === 1 && c.usage === null)).toBe(true);
  });

  it('streams the same text as the non-streamed answer', async () => {
    const whole = await client.chat.completions.create({ model: 'qwen-turbo', messages: user('Summarise the tides') });
    const chunks = await collect({ model: 'qwen-turbo', messages: user('Summarise the tides') });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(whole.choices[0]!.message.content);
  });
});

describe('logprobs and n', () => {
  it('returns log probabilities with the asked alternatives, whole and streamed, and null when not asked', async () => {
    const r = await client.chat.completions.create({ model: 'qwen-plus', logprobs: true, top_logprobs: 2, messages: user('Name a bird') });
    const content = r.choices[0]!.logprobs!.content!;
    expect(content.map((t) => t.token).join('')).toBe(r.choices[0]!.message.content);
    expect(content.every((t) => t.logprob <= 0 && t.top_logprobs.length === 2)).toBe(true);
    const chunks = await collect({ model: 'qwen-plus', logprobs: true, messages: user('Name a bird') });
    const streamed = chunks.flatMap((c) => c.choices[0]?.logprobs?.content ?? []);
    expect(streamed.map((t) => t.token).join('')).toBe(r.choices[0]!.message.content);
    const plain = await client.chat.completions.create({ model: 'qwen-plus', messages: user('Name a bird') });
    expect(plain.choices[0]!.logprobs).toBeNull();
  });

  it('refuses several answers on a model that serves one, and while thinking', async () => {
    expect((await badRequest({ model: 'qwen-max', n: 2, messages: user('hi') })).param).toBe('n');
    expect((await badRequest({ model: 'qwen-plus', n: 2, enable_thinking: true, stream: false, messages: user('hi') })).param).toBe('n');
    const r = await client.chat.completions.create({ model: 'qwen-plus', n: 3, messages: user('hi') });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2]);
  });
});

describe('thinking', () => {
  it('streams reasoning_content deltas before content deltas, with reasoning_tokens in usage', async () => {
    const chunks = await collect({ model: 'qwen-plus', enable_thinking: true, stream_options: { include_usage: true }, messages: user('How many r in strawberry?') });
    expect(chunks[0]!.choices[0]!.delta).toEqual({ content: null, role: 'assistant', reasoning_content: '' });
    const kinds = chunks.flatMap((c) => c.choices).map((ch) => (ch.delta.reasoning_content ? 'r' : ch.delta.content ? 'c' : '-'));
    const firstContent = kinds.indexOf('c');
    expect(kinds.indexOf('r')).toBeGreaterThan(-1);
    expect(firstContent).toBeGreaterThan(kinds.lastIndexOf('r'));
    const usage = chunks.at(-1)!.usage as OpenAI.CompletionUsage;
    expect(usage.completion_tokens_details!.reasoning_tokens).toBeGreaterThan(0);
  });

  it('rejects non-streamed thinking on a stream-only model with the exact 400', async () => {
    const err = await badRequest({ model: 'qwen3-32b', enable_thinking: true, messages: user('hi') });
    expect(err.status).toBe(400);
    expect(err.code).toBe('invalid_parameter_error');
    expect((err.error as { message: string }).message).toBe('parameter.enable_thinking must be set to false for non-streaming calls');
    expect(err.type).toBe('invalid_request_error');
  });

  it('answers non-streamed thinking on qwen-plus with reasoning_content and reasoning_tokens, as recorded in 2026-08', async () => {
    const r = (await client.chat.completions.create({ model: 'qwen-plus', enable_thinking: true, messages: user('What is 17 times 23?') } as OpenAI.ChatCompletionCreateParamsNonStreaming)) as OpenAI.ChatCompletion & { choices: { message: { reasoning_content?: string } }[] };
    expect(r.choices[0]!.message.reasoning_content).toMatch(/\w/);
    expect(r.choices[0]!.message.content).toMatch(/\w/);
    expect(r.usage!.completion_tokens_details!.reasoning_tokens).toBeGreaterThan(0);
  });

  it('answers non-streamed thinking on qwen3-max with content null-free message and reasoning_content', async () => {
    const r = (await client.chat.completions.create({ model: 'qwen3-max', enable_thinking: true, messages: user('Why is the sky blue?') } as OpenAI.ChatCompletionCreateParamsNonStreaming)) as OpenAI.ChatCompletion & { choices: { message: { reasoning_content?: string } }[] };
    expect(r.choices[0]!.message.reasoning_content).toMatch(/\w/);
    expect(r.choices[0]!.message.content).toMatch(/\w/);
    expect(r.usage!.completion_tokens_details!.reasoning_tokens).toBeGreaterThan(0);
  });

  it('makes open-source qwen3 think by default: stream has reasoning, non-stream is refused unless thinking is off', async () => {
    const chunks = await collect({ model: 'qwen3-32b', messages: user('Plan a picnic') });
    expect(chunks.some((c) => c.choices[0]?.delta.reasoning_content)).toBe(true);
    await badRequest({ model: 'qwen3-32b', messages: user('Plan a picnic') });
    const off = await client.chat.completions.create({ model: 'qwen3-32b', enable_thinking: false, messages: user('Plan a picnic') } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(off.choices[0]!.message.content).toMatch(/picnic/);
  });

  it('keeps thinking off by default on hybrid models', async () => {
    const chunks = await collect({ model: 'qwen-plus', messages: user('Plan a picnic') });
    expect(chunks.some((c) => 'reasoning_content' in c.choices[0]!.delta)).toBe(false);
  });

  it('rejects enable_thinking false on a thinking-only model and an oversized thinking_budget', async () => {
    const a = await badRequest({ model: 'qwen3-235b-a22b-thinking-2507', stream: false, enable_thinking: false, messages: user('x') });
    expect((a.error as { message: string }).message).toBe('The value of the enable_thinking parameter is restricted to True.');
    const b = await client.chat.completions.create({ model: 'qwen-plus', stream: true, enable_thinking: true, thinking_budget: 10_000_000, messages: user('x') } as OpenAI.ChatCompletionCreateParamsStreaming).catch((e: unknown) => e);
    expect((b as APIError).status).toBe(400);
    expect(((b as APIError).error as { message: string }).message).toMatch(/^The thinking_budget parameter must be a positive integer and not greater than/);
  });

  it('caps reasoning at thinking_budget tokens', async () => {
    const chunks = await collect({ model: 'qwen-plus', enable_thinking: true, thinking_budget: 3, stream_options: { include_usage: true }, messages: user('Think hard about chess') });
    expect((chunks.at(-1)!.usage as OpenAI.CompletionUsage).completion_tokens_details!.reasoning_tokens).toBe(3);
  });
});

describe('JSON mode', () => {
  it('answers valid JSON when the messages mention json', async () => {
    const r = await client.chat.completions.create({ model: 'qwen-plus', response_format: { type: 'json_object' }, messages: user('Reply in JSON about volcanoes') });
    expect(JSON.parse(r.choices[0]!.message.content!)).toHaveProperty('answer');
  });

  it('follows a json_schema response format', async () => {
    const r = await client.chat.completions.create({
      model: 'qwen-plus',
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema: { type: 'object', properties: { city: { type: 'string' }, population: { type: 'integer', minimum: 1 } }, required: ['city', 'population'] } } },
      messages: user('Which city is Paris?'),
    });
    const v = JSON.parse(r.choices[0]!.message.content!) as { city: string; population: number };
    expect(v.city).toBe('Paris');
    expect(Number.isInteger(v.population)).toBe(true);
  });

  it('streams JSON that parses once joined', async () => {
    const chunks = await collect({ model: 'qwen-plus', response_format: { type: 'json_object' }, messages: user('json please, about owls') });
    expect(() => JSON.parse(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''))).not.toThrow();
  });

  it('rejects json_object without the word json in messages, with the exact message', async () => {
    const err = await badRequest({ model: 'qwen-plus', response_format: { type: 'json_object' }, messages: user('Tell me about owls') });
    expect((err.error as { message: string }).message).toBe("'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.");
  });

  it('rejects JSON mode with thinking on', async () => {
    const err = await client.chat.completions
      .create({ model: 'qwen-plus', stream: true, enable_thinking: true, response_format: { type: 'json_object' }, messages: user('json about owls') } as OpenAI.ChatCompletionCreateParamsStreaming)
      .catch((e: unknown) => e as APIError);
    expect((err as APIError).status).toBe(400);
    expect(((err as APIError).error as { message: string }).message).toBe('Json mode response is not supported when enable_thinking is true');
  });
});

describe('tool calls', () => {
  it('streams id and name only in the first delta, then id "" with argument fragments, finish tool_calls', async () => {
    const chunks = await collect({ model: 'qwen3-max', tools: [weatherTool], messages: user('What is the weather in San Francisco?') });
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]!.id).toMatch(/^call_[0-9a-f]+$/);
    expect(calls[0]!.function!.name).toBe('weather');
    expect(calls[0]!.function!.arguments).toBe('');
    expect(calls.slice(1).every((c) => c.id === '' && c.index === 0 && c.function?.name === undefined)).toBe(true);
    expect(JSON.parse(calls.map((c) => c.function?.arguments ?? '').join(''))).toEqual({ location: 'San Francisco' });
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it("assembles one call with the openai SDK's stream helper", async () => {
    const stream = client.chat.completions.stream({ model: 'qwen-plus', tools: [weatherTool], messages: user('Weather in Tokyo?') });
    const final = await stream.finalChatCompletion();
    const calls = final.choices[0]!.message.tool_calls!;
    expect(calls).toHaveLength(1);
    expect(calls[0]!.type === 'function' && calls[0]!.function.name).toBe('weather');
  });

  it('round-trips: a tool message gets a text answer built on the tool result', async () => {
    const first = await client.chat.completions.create({ model: 'qwen-plus', tools: [weatherTool], messages: user('Weather in Oslo?') });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.message.content).toBe('');
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    const second = await client.chat.completions.create({
      model: 'qwen-plus',
      tools: [weatherTool],
      messages: [...user('Weather in Oslo?'), first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'Snowfall expected, minus four degrees' }],
    });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.content).toMatch(/snowfall/);
  });

  it('calls every tool the question points at in one turn when parallel_tool_calls allows it, and one otherwise', async () => {
    const clock = { type: 'function' as const, function: { name: 'clock', description: 'Get the local time for a location', parameters: { type: 'object', properties: { location: { type: 'string' } } } } };
    const ask = user('What is the weather and the local time in Lisbon?');
    const both = await client.chat.completions.create({ model: 'qwen-plus', tools: [weatherTool, clock], parallel_tool_calls: true, messages: ask });
    const calls = both.choices[0]!.message.tool_calls!;
    expect(calls.map((c) => c.type === 'function' && c.function.name)).toEqual(['weather', 'clock']);
    expect((calls as unknown as { index: number }[]).map((c) => c.index)).toEqual([0, 1]);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    const one = await client.chat.completions.create({ model: 'qwen-plus', tools: [weatherTool, clock], messages: ask });
    expect(one.choices[0]!.message.tool_calls).toHaveLength(1);

    const chunks = await collect({ model: 'qwen-plus', tools: [weatherTool, clock], parallel_tool_calls: true, messages: ask });
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    const named = deltas.filter((d) => d.function?.name);
    expect(named.map((d) => [d.index, d.function!.name])).toEqual([[0, 'weather'], [1, 'clock']]);
    for (const k of [0, 1]) expect(() => JSON.parse(deltas.filter((d) => d.index === k).map((d) => d.function?.arguments ?? '').join(''))).not.toThrow();
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('calls the forced tool and none with tool_choice none', async () => {
    const clock = { type: 'function' as const, function: { name: 'clock', parameters: { type: 'object', properties: { zone: { type: 'string', enum: ['UTC', 'CET'] } } } } };
    const forced = await client.chat.completions.create({ model: 'qwen-plus', tools: [weatherTool, clock], tool_choice: { type: 'function', function: { name: 'clock' } }, messages: user('Weather?') });
    const c = forced.choices[0]!.message.tool_calls![0]!;
    expect(c.type === 'function' && [c.function.name, JSON.parse(c.function.arguments)]).toEqual(['clock', { zone: 'UTC' }]);
    const none = await client.chat.completions.create({ model: 'qwen-plus', tools: [weatherTool], tool_choice: 'none', messages: user('Weather?') });
    expect(none.choices[0]!.message.tool_calls).toBeUndefined();
  });
});

describe('client aborts', () => {
  it('stops the stream and records aborted with abortedAt in the request log', async () => {
    const slow = await startEmulator({ port: 0, chunkDelayMs: 20, replyTokens: 600 });
    try {
      const c = new OpenAI({ baseURL: `${slow.url}/compatible-mode/v1`, apiKey: slow.apiKey, maxRetries: 0 });
      const ac = new AbortController();
      const stream = await c.chat.completions.create({ model: 'qwen-plus', stream: true, messages: user('Go on and on') }, { signal: ac.signal });
      let received = 0;
      let abortedAt = 0;
      try {
        for await (const _ of stream) {
          if (++received === 3) {
            abortedAt = Date.now();
            ac.abort();
          }
        }
      } catch {
        // openai may end the iteration quietly or throw APIUserAbortError; either is a client abort.
      }
      await expect.poll(() => slow.requests.at(-1)!.aborted).toBe(true);
      const entry = slow.requests.at(-1)!;
      expect(entry.abortedAt).toBeGreaterThanOrEqual(abortedAt);
      expect(entry.status).toBe(200);
      expect(received).toBeLessThan(20);
    } finally {
      await slow.close();
    }
  });
});
