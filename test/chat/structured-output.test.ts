// Structured output through chat-stream with the DashScope emulator behind it: each request DashScope itself
// refuses (json_object without "json", thinking with JSON mode or a forced tool) is served, the headers say
// what the layer changed, json_schema is checked (retried, billed per call, 422 naming the path) and streamed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../shared/use-cases/tenants/client-keys.ts';
import { post as postEmulator, sseData } from '../emulator/helpers.ts';
import { startChatStack, type ChatStack } from './harness.ts';

let stack: ChatStack;
let key: string;

beforeAll(async () => {
  stack = await startChatStack({ emulator: { chunkDelayMs: 0 }, env: { CLIENT_KEY_CACHE_MS: '0' } });
  key = (await createClientKey(stack.deps, { name: 'shapes' })).key;
});
afterAll(async () => stack?.close());

const chat = (body: Record<string, unknown>) =>
  fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
const direct = (body: Record<string, unknown>) => postEmulator(stack.emu, '/compatible-mode/v1/chat/completions', body);
const ledger = async () => (await stack.deps.guards.listLedger({ from: new Date(0), to: new Date(Date.now() + 60_000), tenant: 'shapes', limit: 100 })).entries;
const user = (content: string) => [{ role: 'user', content }];
const tools = [{ type: 'function', function: { name: 'weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
const city = { type: 'object', properties: { city: { type: 'string' }, population: { type: 'integer', minimum: 1 } }, required: ['city', 'population'], additionalProperties: false };
const asJson = async (r: Response) => (await r.json()) as { choices: { message: { content: string | null; tool_calls?: { function: { name: string; arguments: string } }[] } }[]; error?: { code: string; message: string; param?: string } };

describe('requests DashScope refuses, served', () => {
  it("serves json_object without the word 'json' with an added instruction, and says so", async () => {
    const body = { model: 'qwen-plus', response_format: { type: 'json_object' }, messages: user('Tell me about owls') };
    expect((await direct(body)).status).toBe(400);
    const r = await chat(body);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-dashscope-fc-json-instruction')).toBe('added');
    const content = (await asJson(r)).choices[0]!.message.content!;
    expect(() => JSON.parse(content)).not.toThrow();
    expect(stack.upstream.at(-1)!.body.messages![0]).toEqual({ role: 'system', content: 'Answer in JSON.' });
  });

  it('serves thinking with JSON mode without thinking, streamed too', async () => {
    const body = { model: 'qwen-plus', stream: true, enable_thinking: true, response_format: { type: 'json_object' }, messages: user('json about owls') };
    expect((await direct(body)).status).toBe(400);
    const r = await chat(body);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-dashscope-fc-thinking')).toBe('disabled; reason=json-mode');
    expect(r.headers.get('x-dashscope-fc-json-instruction')).toBeNull();
    const data = sseData(await r.text());
    expect(data.at(-1)).toBe('[DONE]');
    const text = data.slice(0, -1).map((d) => (JSON.parse(d) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? '').join('');
    expect(() => JSON.parse(text)).not.toThrow();
  });

  it('serves a forced tool_choice with thinking on a Qwen3 model that thinks by default, without thinking', async () => {
    const body = { model: 'qwen3-32b', stream: true, tools, tool_choice: { type: 'function', function: { name: 'weather' } }, messages: user('Weather in Hangzhou?') };
    expect((await direct(body)).status).toBe(400);
    const r = await chat({ ...body, stream: false });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-dashscope-fc-thinking')).toBe('disabled; reason=forced-tool-choice');
    expect((await asJson(r)).choices[0]!.message.tool_calls![0]!.function.name).toBe('weather');
  });
});

describe('response_format json_schema', () => {
  it('is served as JSON mode with the schema in the instructions, the answer checked', async () => {
    const r = await chat({ model: 'qwen-plus', response_format: { type: 'json_schema', json_schema: { name: 'city', schema: city, strict: true } }, messages: user('Tell me about Hangzhou') });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-dashscope-fc-json-schema')).toBe('checked; attempts=1');
    const v = JSON.parse((await asJson(r)).choices[0]!.message.content!) as { city: string; population: number };
    expect(typeof v.city).toBe('string');
    expect(Number.isInteger(v.population)).toBe(true);
    expect(stack.upstream.at(-1)!.body.response_format).toEqual({ type: 'json_object' });
    const line = await stack.logged((l) => l.msg === 'request' && l.requestId === r.headers.get('x-request-id'));
    expect(line.adjustments).toEqual({ jsonInstruction: true, schema: 'checked', attempts: 1 });
  });

  it('streams the checked answer as chunks ending with [DONE], usage when asked', async () => {
    const r = await chat({ model: 'qwen-plus', stream: true, stream_options: { include_usage: true }, response_format: { type: 'json_schema', json_schema: { name: 'city', schema: city } }, messages: user('Tell me about Hangzhou') });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(r.headers.get('x-dashscope-fc-json-schema')).toBe('checked; attempts=1');
    const data = sseData(await r.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { choices: { delta?: { content?: string } }[]; usage?: { total_tokens: number } });
    expect(JSON.parse(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''))).toMatchObject({ city: expect.any(String) });
    expect(chunks.at(-1)!.usage!.total_tokens).toBeGreaterThan(0);
  });

  it('answers 422 naming the path when the model misses the schema twice, both calls billed', async () => {
    // the emulator fills strings without regard to pattern: no answer of its can match
    const strict = { ...city, properties: { ...city.properties, city: { type: 'string', pattern: '^ZZZ' } } };
    const before = stack.upstream.length;
    const ledgerBefore = (await ledger()).length;
    const r = await chat({ model: 'qwen-plus', response_format: { type: 'json_schema', json_schema: { name: 'city', schema: strict } }, messages: user('Tell me about Hangzhou') });
    expect(r.status).toBe(422);
    const e = (await asJson(r)).error!;
    expect(e).toMatchObject({ code: 'json_schema_mismatch', param: 'response_format' });
    expect(e.message).toMatch(/after 2 attempts: at \$\.city/);
    expect(stack.upstream.length - before).toBe(2);
    await expect.poll(async () => (await ledger()).length - ledgerBefore).toBe(2);
  });

  it('refuses a schema it cannot read with 400, calling nothing upstream', async () => {
    const before = stack.upstream.length;
    const r = await chat({ model: 'qwen-plus', response_format: { type: 'json_schema', json_schema: { name: 'bad', schema: { $ref: '#/definitions/nowhere' } } }, messages: user('x') });
    expect(r.status).toBe(400);
    expect((await asJson(r)).error).toMatchObject({ code: 'invalid_json_schema', param: 'response_format.json_schema.schema' });
    expect(stack.upstream.length).toBe(before);
  });
});
