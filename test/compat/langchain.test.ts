// LangChain's ChatOpenAI, unchanged, against `npm start`: invoke, stream, bindTools, and DashScope's thinking
// switched on and off through modelKwargs (the request's extra fields).
import { ChatOpenAI } from '@langchain/openai';
import type { AIMessageChunk } from '@langchain/core/messages';
import { describe, expect, inject, it } from 'vitest';

const chat = (fields: ConstructorParameters<typeof ChatOpenAI>[0] = {}) =>
  new ChatOpenAI({ model: 'qwen-plus', apiKey: 'local-mode-needs-none', configuration: { baseURL: `${inject('compatOrigin')}/v1` }, maxRetries: 0, ...fields });

const reasoningOf = (m: { additional_kwargs: Record<string, unknown> }) => (m.additional_kwargs.reasoning_content as string | undefined) ?? '';

describe('LangChain ChatOpenAI', () => {
  it('invoke answers with content and token usage', async () => {
    const m = await chat({ temperature: 2 }).invoke('Name a lake.');
    expect(typeof m.content === 'string' && m.content.length).toBeGreaterThan(0);
    expect(m.usage_metadata?.total_tokens).toBeGreaterThan(0);
  });

  it('stream yields several chunks that add up to the answer, with usage at the end', async () => {
    let text = '';
    let chunks = 0;
    let last: AIMessageChunk | undefined;
    for await (const c of await chat().stream('Describe a quiet harbour.')) {
      chunks++;
      text += typeof c.content === 'string' ? c.content : '';
      last = c;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text.length).toBeGreaterThan(0);
    expect(last?.usage_metadata?.total_tokens).toBeGreaterThan(0);
  });

  it('bindTools gets tool calls back, several in one turn', async () => {
    const model = chat().bindTools([
      { type: 'function', function: { name: 'weather', description: 'Get the weather for a location', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } },
      { type: 'function', function: { name: 'clock', description: 'Get the local time for a location', parameters: { type: 'object', properties: { location: { type: 'string' } } } } },
    ]);
    const m = await model.invoke('What is the weather and the local time in Lisbon?');
    expect(m.tool_calls?.map((c) => c.name).sort()).toEqual(['clock', 'weather']);
    expect(typeof m.tool_calls?.[0]?.args).toBe('object');
  });

  it('thinks when modelKwargs turn thinking on, and not when they turn it off', async () => {
    const on = await chat({ modelKwargs: { enable_thinking: true } }).invoke('Is 91 prime?');
    expect(reasoningOf(on).length).toBeGreaterThan(0);
    expect(typeof on.content === 'string' && on.content.length).toBeGreaterThan(0);
    const off = await chat({ modelKwargs: { enable_thinking: false } }).invoke('Is 91 prime?');
    expect(reasoningOf(off)).toBe('');

    let reasoning = '';
    for await (const c of await chat({ modelKwargs: { enable_thinking: true } }).stream('Is 97 prime?')) reasoning += reasoningOf(c);
    expect(reasoning.length).toBeGreaterThan(0);
  });
});
