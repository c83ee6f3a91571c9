// The Vercel AI SDK, unchanged, against `npm start`: `generateText` and a multi-step `streamText` tool loop through
// `@ai-sdk/openai-compatible`, and `@ai-sdk/alibaba`'s chat with thinking on, its baseURL pointed at the layer's /v1.
import { createAlibaba } from '@ai-sdk/alibaba';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import { describe, expect, inject, it } from 'vitest';

const baseURL = `${inject('compatOrigin')}/v1`;
const compatible = createOpenAICompatible({ name: 'dashscope-fc', baseURL, apiKey: 'local-mode-needs-none', includeUsage: true });
const alibaba = createAlibaba({ baseURL, apiKey: 'local-mode-needs-none' });

const tools = () => {
  const ran: string[] = [];
  return {
    ran,
    tools: {
      weather: tool({
        description: 'Get the weather for a location',
        inputSchema: jsonSchema<{ location: string }>({ type: 'object', properties: { location: { type: 'string' } }, required: ['location'] }),
        execute: async ({ location }) => {
          ran.push('weather');
          return `Sunny in ${location}`;
        },
      }),
      clock: tool({
        description: 'Get the local time for a location',
        inputSchema: jsonSchema<{ location?: string }>({ type: 'object', properties: { location: { type: 'string' } } }),
        execute: async () => {
          ran.push('clock');
          return 'Quarter past four';
        },
      }),
    },
  };
};

describe('AI SDK with @ai-sdk/openai-compatible', () => {
  it('generateText answers with text, finish reason and usage', async () => {
    const r = await generateText({ model: compatible('qwen-plus'), prompt: 'Name a river.', temperature: 2, maxRetries: 0 });
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.finishReason).toBe('stop');
    expect(r.usage.inputTokens).toBeGreaterThan(0);
  });

  it('streamText runs a multi-step tool loop: both tools in one step, then the answer', async () => {
    const t = tools();
    const result = streamText({ model: compatible('qwen-plus'), prompt: 'What is the weather and the local time in Lisbon?', tools: t.tools, stopWhen: stepCountIs(4), maxRetries: 0 });
    let text = '';
    for await (const part of result.textStream) text += part;
    const steps = await result.steps;
    expect(steps.length).toBe(2);
    expect(steps[0]!.toolCalls.map((c) => c.toolName).sort()).toEqual(['clock', 'weather']);
    expect(t.ran.sort()).toEqual(['clock', 'weather']);
    expect(await result.finishReason).toBe('stop');
    expect(text.length).toBeGreaterThan(0);
  });
});

describe('AI SDK with @ai-sdk/alibaba', () => {
  it('generateText answers plain chat', async () => {
    const r = await generateText({ model: alibaba('qwen-plus'), prompt: 'Name a mountain.', maxRetries: 0 });
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.finishReason).toBe('stop');
  });

  it('generateText with thinking on answers reasoning and text without streaming (qwen-plus, as DashScope does since 2026-08)', async () => {
    const r = await generateText({ model: alibaba('qwen-plus'), prompt: 'What is 17 times 23?', providerOptions: { alibaba: { enableThinking: true } }, maxRetries: 0 });
    expect(r.reasoningText?.length).toBeGreaterThan(0);
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.usage.outputTokenDetails?.reasoningTokens ?? r.usage.reasoningTokens).toBeGreaterThan(0);
  });

  it('generateText with thinking on a stream-only model is assembled by the layer from a stream', async () => {
    const r = await generateText({ model: alibaba('qwen3-32b'), prompt: 'Is 91 prime?', providerOptions: { alibaba: { enableThinking: true } }, maxRetries: 0 });
    expect(r.reasoningText?.length).toBeGreaterThan(0);
    expect(r.text.length).toBeGreaterThan(0);
  });

  it('streamText with thinking streams reasoning before the text', async () => {
    const result = streamText({ model: alibaba('qwen-plus'), prompt: 'Why is the sea salty?', providerOptions: { alibaba: { enableThinking: true } }, maxRetries: 0 });
    const kinds: string[] = [];
    for await (const part of result.fullStream) if (part.type === 'reasoning-delta' || part.type === 'text-delta') kinds.push(part.type);
    expect(kinds[0]).toBe('reasoning-delta');
    expect(kinds.at(-1)).toBe('text-delta');
    expect(kinds.lastIndexOf('reasoning-delta')).toBeLessThan(kinds.indexOf('text-delta'));
  });
});
