// chat-stream in OpenAI's shapes where DashScope's differ: models by id, OpenAI's parameter ranges mapped or
// refused by name, tool-calling messages, streamed chunks (usage key, finish_reason), logprobs and parallel calls.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatStack, type ChatStack } from './harness.ts';

let stack: ChatStack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startChatStack();
  client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'unused-by-chat-stream', maxRetries: 0 });
});
afterAll(async () => stack?.close());

const ask = (content: string) => [{ role: 'user' as const, content }];
const weather = { type: 'function' as const, function: { name: 'weather', description: 'Get the weather for a location', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } };
const clock = { type: 'function' as const, function: { name: 'clock', description: 'Get the local time for a location', parameters: { type: 'object', properties: { location: { type: 'string' } } } } };

const post = (body: Record<string, unknown>) => fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
/** The `data:` payloads of an SSE body, `[DONE]` left out. */
const sseChunks = (text: string) =>
  text.split('\n\n').filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]').map((e) => JSON.parse(e.slice('data: '.length)) as Record<string, unknown> & { choices: Record<string, unknown>[] });

describe('models', () => {
  it('retrieves one model by id with its release date, owner, kind and capabilities', async () => {
    const m = (await client.models.retrieve('qwen-plus')) as OpenAI.Model & { kind: string; capabilities: Record<string, unknown> };
    expect(m).toMatchObject({ id: 'qwen-plus', object: 'model', owned_by: 'alibaba', kind: 'chat', capabilities: { thinking: 'optional', tools: true } });
    expect(m.created).toBeGreaterThan(Date.parse('2023-01-01') / 1000);
    expect((await client.models.retrieve('wan2.5-t2v-preview')) as unknown).toMatchObject({ kind: 'text-to-video' });
  });

  it('answers an unknown id with 404 model_not_found in the OpenAI error shape', async () => {
    const err = await client.models.retrieve('gpt-9').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found');
  });

  it('lists every kind with a real created date', async () => {
    const all = (await client.models.list()).data as (OpenAI.Model & { kind: string })[];
    expect(new Set(all.map((m) => m.kind))).toEqual(new Set(['chat', 'embedding', 'text-to-image', 'text-to-video', 'image-to-video', 'text-to-speech']));
    expect(all.every((m) => m.created > 0 && m.owned_by === 'alibaba')).toBe(true);
  });
});

describe("OpenAI's parameter ranges", () => {
  it('accepts temperature 2 and says what went upstream in x-adjusted-parameters', async () => {
    const before = stack.upstream.length;
    const { data, response } = await client.chat.completions.create({ model: 'qwen-plus', messages: ask('Invent a word.'), temperature: 2, user: 'end-user-7' }).withResponse();
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(response.headers.get('x-adjusted-parameters')).toBe('temperature=1.99');
    expect(stack.upstream[before]?.body.temperature).toBe(1.99);
    expect(stack.upstream[before]?.body).not.toHaveProperty('user');
    // the request log keeps what was adjusted and whose end user asked
    await stack.logged((l) => l.requestId === response.headers.get('x-request-id'));
    expect(stack.requestLogs().find((l) => l.requestId === response.headers.get('x-request-id'))).toMatchObject({ adjusted: 'temperature=1.99', endUser: 'end-user-7' });
  });

  it('refuses what DashScope cannot serve with 400 naming the limit and calls nothing upstream', async () => {
    const before = stack.upstream.length;
    for (const [body, param, words] of [
      [{ n: 5 }, 'n', 'at most 4'],
      [{ logprobs: true, top_logprobs: 8 }, 'top_logprobs', 'at most 5'],
      [{ stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', 'at most 4'],
    ] as const) {
      const res = await post({ model: 'qwen-plus', messages: ask('hi'), ...body });
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { param: string; message: string; type: string } };
      expect(error).toMatchObject({ param, type: 'invalid_request_error' });
      expect(error.message).toContain(words);
    }
    expect(stack.upstream.length).toBe(before);
  });
});

describe('answer shapes', () => {
  it('answers a tool call with content null and no index on the call', async () => {
    const res = await post({ model: 'qwen-plus', messages: ask('What is the weather in Oslo?'), tools: [weather] });
    const body = (await res.json()) as { choices: { message: { content: unknown; tool_calls: Record<string, unknown>[] } }[] };
    expect(body.choices[0]!.message.content).toBeNull();
    expect(body.choices[0]!.message.tool_calls[0]).toMatchObject({ type: 'function', function: { name: 'weather' } });
    expect(body.choices[0]!.message.tool_calls[0]).not.toHaveProperty('index');
  });

  it('streams chunks with no usage key unless usage was asked for, and a finish_reason on every choice', async () => {
    const plain = sseChunks(await (await post({ model: 'qwen-plus', messages: ask('Describe a meadow.'), stream: true })).text());
    expect(plain.length).toBeGreaterThan(3);
    expect(plain.every((c) => !('usage' in c))).toBe(true);
    expect(plain.flatMap((c) => c.choices).every((ch) => 'finish_reason' in ch)).toBe(true);
    const tools = sseChunks(await (await post({ model: 'qwen-plus', messages: ask('Weather in Oslo?'), tools: [weather], stream: true })).text());
    expect(tools.flatMap((c) => c.choices).every((ch) => 'finish_reason' in ch)).toBe(true);
    const asked = sseChunks(await (await post({ model: 'qwen-plus', messages: ask('Describe a meadow.'), stream: true, stream_options: { include_usage: true } })).text());
    expect(asked.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) } });
  });

  it('passes logprobs through, also when the answer is assembled from an upstream stream', async () => {
    const direct = await client.chat.completions.create({ model: 'qwen-plus', messages: ask('Name a tree.'), logprobs: true, top_logprobs: 2 });
    expect(direct.choices[0]?.logprobs?.content?.map((t) => t.token).join('')).toBe(direct.choices[0]?.message.content);
    const before = stack.upstream.length;
    const assembled = await client.chat.completions.create({ model: 'qwen3-32b', messages: ask('Name a tree.'), logprobs: true, enable_thinking: true } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(stack.upstream[before]?.op).toBe('chatRelay');
    expect(assembled.choices[0]?.logprobs?.content?.map((t) => t.token).join('')).toBe(assembled.choices[0]?.message.content);
  });

  it('calls several tools in one turn, as OpenAI does by default, and one when parallel_tool_calls is false', async () => {
    const question = ask('What is the weather and the local time in Lisbon?');
    const both = await client.chat.completions.create({ model: 'qwen-plus', messages: question, tools: [weather, clock] });
    expect(both.choices[0]?.message.tool_calls?.map((c) => c.type === 'function' && c.function.name)).toEqual(['weather', 'clock']);
    const one = await client.chat.completions.create({ model: 'qwen-plus', messages: question, tools: [weather, clock], parallel_tool_calls: false });
    expect(one.choices[0]?.message.tool_calls).toHaveLength(1);
  });
});
