// chat-stream driven by the Vercel AI SDK (`ai` v6 with `@ai-sdk/openai-compatible` v2): streamed text with
// usage, and a streamed tool call that the SDK assembles despite DashScope's empty ids on later deltas.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { jsonSchema, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatStack, type ChatStack } from './harness.ts';

let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack();
});
afterAll(async () => stack?.close());

const provider = () => createOpenAICompatible({ name: 'dashscope-fc', baseURL: stack.baseURL, includeUsage: true });

describe('Vercel AI SDK', () => {
  it('streams text in several parts that add up to the answer, with usage', async () => {
    const prompt = 'Describe a quiet harbour at dawn.';
    const reference = await new OpenAI({ baseURL: stack.baseURL, apiKey: 'unused', maxRetries: 0 }).chat.completions.create({
      model: 'qwen-plus',
      messages: [{ role: 'user', content: prompt }],
    });
    const result = streamText({ model: provider()('qwen-plus'), prompt });
    const parts: string[] = [];
    for await (const t of result.textStream) parts.push(t);
    expect(parts.length).toBeGreaterThan(3);
    expect(parts.join('')).toBe(reference.choices[0]?.message.content);
    expect(await result.finishReason).toBe('stop');
    const usage = await result.usage;
    expect(usage.inputTokens).toBeGreaterThan(0);
    expect(usage.outputTokens).toBeGreaterThan(0);
  });

  it('assembles a streamed tool call with its id, name and arguments', async () => {
    const result = streamText({
      model: provider()('qwen-plus'),
      prompt: 'What is the weather in Shanghai?',
      tools: {
        weather: tool({
          description: 'Weather of a city',
          inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
        }),
      },
    });
    const calls = await result.toolCalls;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ toolName: 'weather', toolCallId: expect.stringMatching(/^call_/) });
    expect(typeof (calls[0]!.input as { city?: unknown }).city).toBe('string');
    expect(await result.finishReason).toBe('tool-calls');
  });
});
