// `@ai-sdk/openai`'s default model (createOpenAI({baseURL})(id) speaks the Responses API), unchanged, against
// `npm start`: generateText, streamText, and a multi-step tool call whose result goes back as items.
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import { describe, expect, inject, it } from 'vitest';

const openai = createOpenAI({ baseURL: `${inject('compatOrigin')}/v1`, apiKey: 'local-mode-needs-none' });

const weather = tool({
  description: 'Current weather of a city',
  inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
  execute: async ({ city }) => ({ city, celsius: 21 }),
});

describe('@ai-sdk/openai responses model against npm start', () => {
  it('generateText answers with text, a response id and usage', async () => {
    const r = await generateText({ model: openai('qwen-plus'), system: 'You are terse.', prompt: 'Name a river.' });
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.finishReason).toBe('stop');
    expect(r.response.id).toMatch(/^resp_/);
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.usage.outputTokens).toBeGreaterThan(0);
    expect(r.warnings ?? []).toEqual([]);
  });

  it('streamText streams text parts that add up to the answer', async () => {
    const result = streamText({ model: openai('qwen-plus'), prompt: 'Describe a quiet harbour at dawn.' });
    const parts: string[] = [];
    for await (const t of result.textStream) parts.push(t);
    expect(parts.length).toBeGreaterThan(3);
    expect(parts.join('')).toBe(await result.text);
    expect(await result.finishReason).toBe('stop');
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
  });

  it('generateText runs a tool and answers from its result in a second step', async () => {
    const r = await generateText({ model: openai('qwen-plus'), prompt: 'What is the weather in Shanghai?', tools: { weather }, stopWhen: stepCountIs(3) });
    expect(r.steps).toHaveLength(2);
    expect(r.steps[0]?.toolCalls).toEqual([expect.objectContaining({ toolName: 'weather', input: { city: expect.any(String) } })]);
    expect(r.steps[0]?.toolResults).toEqual([expect.objectContaining({ toolName: 'weather', output: { city: expect.any(String), celsius: 21 } })]);
    expect(r.finishReason).toBe('stop');
    expect(r.text.length).toBeGreaterThan(0);
  });

  it('streamText runs the same multi-step tool call streamed', async () => {
    const result = streamText({ model: openai('qwen-plus'), prompt: 'What is the weather in Oslo?', tools: { weather }, stopWhen: stepCountIs(3) });
    const kinds = new Set<string>();
    for await (const p of result.fullStream) {
      if (p.type === 'error') throw p.error;
      kinds.add(p.type);
    }
    expect([...kinds]).toEqual(expect.arrayContaining(['tool-input-delta', 'tool-call', 'tool-result', 'text-delta']));
    expect(await result.steps).toHaveLength(2);
    expect((await result.text).length).toBeGreaterThan(0);
  });

  it('sends earlier answers back as item references, which resolve to the stored output', async () => {
    const one = await generateText({ model: openai('qwen-plus'), prompt: 'My favourite colour is teal.' });
    // the assistant's text carries its item id: the SDK sends {type: 'item_reference', id: 'msg_…'} for it
    const two = await generateText({ model: openai('qwen-plus'), messages: [{ role: 'user', content: 'My favourite colour is teal.' }, ...one.response.messages, { role: 'user', content: 'What is it?' }] });
    const bare = await generateText({ model: openai('qwen-plus'), messages: [{ role: 'user', content: 'My favourite colour is teal.' }, { role: 'user', content: 'What is it?' }] });
    expect(two.text.length).toBeGreaterThan(0);
    expect(two.usage.inputTokens).toBeGreaterThan(bare.usage.inputTokens!);
  });

  it('a thinking model gives reasoning, and a tool step sends it back by reference', async () => {
    const r = await generateText({ model: openai('qwen3-32b'), prompt: 'What is the weather in Lima?', tools: { weather }, stopWhen: stepCountIs(3) });
    expect(r.steps).toHaveLength(2);
    expect(r.steps[0]?.reasoningText?.length).toBeGreaterThan(0);
    expect(r.steps[0]?.toolCalls).toEqual([expect.objectContaining({ toolName: 'weather' })]);
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.reasoningText?.length).toBeGreaterThan(0);
  });

  it('previousResponseId continues a conversation on the server', async () => {
    const one = await generateText({ model: openai('qwen-plus'), prompt: 'My favourite colour is teal.' });
    const two = await generateText({ model: openai('qwen-plus'), prompt: 'What is my favourite colour?', providerOptions: { openai: { previousResponseId: one.response.id } } });
    const fresh = await generateText({ model: openai('qwen-plus'), prompt: 'What is my favourite colour?' });
    expect(two.usage.inputTokens).toBeGreaterThan(fresh.usage.inputTokens! + one.usage.outputTokens!);
  });
});
