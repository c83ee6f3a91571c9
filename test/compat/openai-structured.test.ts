// The `openai` SDK's structured outputs, unchanged, against `npm start`: chat.completions.parse with
// zodResponseFormat, the same streamed, with thinking asked for, and a forced tool with thinking.
import OpenAI from 'openai';
import { zodFunction, zodResponseFormat } from 'openai/helpers/zod';
import type { ChatCompletionParseParams } from 'openai/resources/chat/completions';
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';

const client = new OpenAI({ baseURL: `${inject('compatOrigin')}/v1`, apiKey: 'local-mode-needs-none', maxRetries: 0 });

const City = z.object({
  city: z.string(),
  population: z.number().int().min(1).max(100_000_000),
  climate: z.enum(['dry', 'humid', 'temperate']),
  landmarks: z.array(z.object({ name: z.string(), year: z.number().nullable() })),
  twin: z.string().nullable(),
});
const ask = (content: string) => [{ role: 'user' as const, content }];
/** DashScope's thinking switch rides in the body; the SDK sends unknown fields as they are. */
const thinking = <T extends object>(body: T) => ({ ...body, enable_thinking: true }) as T;

describe('openai SDK structured outputs against npm start', () => {
  it('chat.completions.parse with zodResponseFormat returns the parsed object, checked by the layer', async () => {
    const { data, response } = await client.chat.completions.parse({ model: 'qwen-plus', messages: ask('Describe Hangzhou.'), response_format: zodResponseFormat(City, 'city') }).withResponse();
    const parsed = data.choices[0]?.message.parsed;
    expect(City.parse(parsed)).toEqual(parsed);
    expect(response.headers.get('x-dashscope-fc-json-schema')).toBe('checked; attempts=1');
  });

  it('parse with thinking asked for is served without thinking, and the header says why', async () => {
    const body: ChatCompletionParseParams = thinking({ model: 'qwen3-max', messages: ask('Describe Suzhou.'), response_format: zodResponseFormat(City, 'city') });
    const { data, response } = await client.chat.completions.parse(body).withResponse();
    expect(City.safeParse(data.choices[0]?.message.parsed).success).toBe(true);
    expect(response.headers.get('x-dashscope-fc-thinking')).toBe('disabled; reason=json-mode');
  });

  it('parse on a Qwen3 model that thinks by default (qwen3-32b) answers without streaming', async () => {
    const r = await client.chat.completions.parse({ model: 'qwen3-32b', messages: ask('Describe Xi’an.'), response_format: zodResponseFormat(City, 'city') });
    expect(City.safeParse(r.choices[0]?.message.parsed).success).toBe(true);
  });

  it('streams structured output: content deltas that join to the parsed object, to a clean end', async () => {
    const stream = client.chat.completions.stream({ model: 'qwen-plus', messages: ask('Describe Chengdu.'), response_format: zodResponseFormat(City, 'city'), stream_options: { include_usage: true } });
    let deltas = 0;
    stream.on('content.delta', () => void deltas++);
    const final = await stream.finalChatCompletion();
    expect(deltas).toBeGreaterThan(1);
    expect(final.choices[0]?.finish_reason).toBe('stop');
    expect(City.safeParse(final.choices[0]?.message.parsed).success).toBe(true);
    expect(final.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('streams structured output with thinking asked for on a thinking model', async () => {
    const stream = client.chat.completions.stream(thinking({ model: 'qwen-plus', messages: ask('Describe Wuhan.'), response_format: zodResponseFormat(City, 'city') }));
    const final = await stream.finalChatCompletion();
    expect(City.safeParse(final.choices[0]?.message.parsed).success).toBe(true);
  });

  it('a forced tool with thinking asked for is served without thinking: parsed tool arguments', async () => {
    const Weather = z.object({ city: z.string(), unit: z.enum(['c', 'f']) });
    const { data, response } = await client.chat.completions
      .parse(thinking({ model: 'qwen-plus', messages: ask('Weather in Hangzhou?'), tools: [zodFunction({ name: 'weather', parameters: Weather })], tool_choice: { type: 'function' as const, function: { name: 'weather' } } }))
      .withResponse();
    const call = data.choices[0]?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    expect(Weather.safeParse(call?.type === 'function' ? call.function.parsed_arguments : undefined).success).toBe(true);
    expect(response.headers.get('x-dashscope-fc-thinking')).toBe('disabled; reason=forced-tool-choice');
  });

  it("json_object without the word 'json' is served with an added instruction", async () => {
    const { data, response } = await client.chat.completions.create({ model: 'qwen-plus', messages: ask('Tell me about owls.'), response_format: { type: 'json_object' } }).withResponse();
    expect(() => JSON.parse(data.choices[0]?.message.content ?? '') as unknown).not.toThrow();
    expect(response.headers.get('x-dashscope-fc-json-instruction')).toBe('added');
  });
});
