// The `openai` SDK's Responses API, unchanged, against `npm start`: create and stream, a function tool and its
// function_call_output, previous_response_id continuing a conversation, instructions, reasoning items.
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { describe, expect, inject, it } from 'vitest';

const client = new OpenAI({ baseURL: `${inject('compatOrigin')}/v1`, apiKey: 'local-mode-needs-none', maxRetries: 0 });

const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather of a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

describe('openai SDK responses against npm start', () => {
  it('responses.create answers with output_text and usage', async () => {
    const r = await client.responses.create({ model: 'qwen-plus', input: 'Name a river.' });
    expect(r.id).toMatch(/^resp_/);
    expect(r.status).toBe('completed');
    expect(r.output_text.length).toBeGreaterThan(0);
    expect(r.usage?.total_tokens).toBe((r.usage?.input_tokens ?? 0) + (r.usage?.output_tokens ?? 0));
  });

  it('responses.create streams the event sequence to response.completed, and the stream helper assembles it', async () => {
    const stream = await client.responses.create({ model: 'qwen-plus', input: 'Describe a lake.', stream: true });
    const seen: ResponseStreamEvent[] = [];
    for await (const e of stream) seen.push(e);
    expect(seen[0]?.type).toBe('response.created');
    expect(seen[1]?.type).toBe('response.in_progress');
    const last = seen.at(-1);
    if (last?.type !== 'response.completed') throw new Error(`ended with ${last?.type}`);
    const text = seen.map((e) => (e.type === 'response.output_text.delta' ? e.delta : '')).join('');
    expect(text.length).toBeGreaterThan(0);
    expect(last.response.output).toEqual([expect.objectContaining({ type: 'message', content: [expect.objectContaining({ type: 'output_text', text })] })]);
    expect(last.response.usage?.output_tokens).toBeGreaterThan(0);

    // the SDK's own accumulator (responses.stream) checks indexes and item ids as it goes
    const final = await client.responses.stream({ model: 'qwen-plus', input: 'Describe a lake.' }).finalResponse();
    expect(final.output_text).toBe(text);
  });

  it('instructions reach the model: the same input costs more input tokens with them', async () => {
    const bare = await client.responses.create({ model: 'qwen-plus', input: 'Name a bird.' });
    const instructed = await client.responses.create({ model: 'qwen-plus', input: 'Name a bird.', instructions: 'You are a patient ornithologist who answers in one word.' });
    expect(instructed.instructions).toBe('You are a patient ornithologist who answers in one word.');
    expect(instructed.usage!.input_tokens).toBeGreaterThan(bare.usage!.input_tokens);
  });

  it('a function tool round trip: function_call, then function_call_output on previous_response_id', async () => {
    const first = await client.responses.create({ model: 'qwen-plus', input: 'What is the weather in Paris?', tools: [weather] });
    const call = first.output.find((o) => o.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('no function call');
    expect(call.name).toBe('get_weather');
    expect(JSON.parse(call.arguments)).toHaveProperty('city');

    const second = await client.responses.create({
      model: 'qwen-plus',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: JSON.stringify({ city: 'Paris', celsius: 21 }) }],
      tools: [weather],
    });
    expect(second.status).toBe('completed');
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output_text.length).toBeGreaterThan(0);
    expect(second.output.some((o) => o.type === 'function_call')).toBe(false);
  });

  it('the same round trip streamed, the call sent back as items instead of previous_response_id', async () => {
    const stream = await client.responses.create({ model: 'qwen-plus', input: 'Weather in Rome?', tools: [weather], stream: true });
    let args = '';
    let done: ResponseStreamEvent | undefined;
    for await (const e of stream) {
      if (e.type === 'response.function_call_arguments.delta') args += e.delta;
      done = e;
    }
    if (done?.type !== 'response.completed') throw new Error(`ended with ${done?.type}`);
    const call = done.response.output.find((o) => o.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('no function call');
    expect(call.arguments).toBe(args);
    const next = await client.responses.create({
      model: 'qwen-plus',
      input: [
        { role: 'user', content: 'Weather in Rome?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: '{"celsius": 25}' },
      ],
      tools: [weather],
    });
    expect(next.output_text.length).toBeGreaterThan(0);
  });

  it('previous_response_id continues a conversation: the history is part of the next input', async () => {
    const one = await client.responses.create({ model: 'qwen-plus', input: 'My favourite colour is teal. Remember it.' });
    const fresh = await client.responses.create({ model: 'qwen-plus', input: 'What is my favourite colour?' });
    const two = await client.responses.create({ model: 'qwen-plus', input: 'What is my favourite colour?', previous_response_id: one.id });
    expect(two.previous_response_id).toBe(one.id);
    expect(two.usage!.input_tokens).toBeGreaterThan(fresh.usage!.input_tokens + one.usage!.output_tokens);
    await expect(client.responses.create({ model: 'qwen-plus', input: 'Hi', previous_response_id: 'resp_unknown0000' })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('a thinking model answers with a reasoning item before its message, streamed and not', async () => {
    const r = await client.responses.create({ model: 'qwen3-32b', input: 'Is 91 prime?' });
    expect(r.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    const reasoning = r.output[0];
    if (reasoning?.type !== 'reasoning') throw new Error('no reasoning item');
    expect(reasoning.summary[0]?.text.length).toBeGreaterThan(0);
    expect(r.usage?.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);

    const stream = await client.responses.create({ model: 'qwen-plus', input: 'Is 91 prime?', reasoning: { effort: 'low' }, stream: true });
    let thought = '';
    let answer = '';
    for await (const e of stream) {
      if (e.type === 'response.reasoning_summary_text.delta') thought += e.delta;
      if (e.type === 'response.output_text.delta') answer += e.delta;
    }
    expect(thought.length).toBeGreaterThan(0);
    expect(answer.length).toBeGreaterThan(0);
  });

  it('refuses a built-in tool with a 400 naming it', async () => {
    const err = await client.responses.create({ model: 'qwen-plus', input: 'Search the web.', tools: [{ type: 'web_search' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param: 'tools.0.type' });
  });
});
