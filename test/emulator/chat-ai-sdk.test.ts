// Compatible-mode chat through the Vercel AI SDK's DashScope provider (@ai-sdk/alibaba with ai v6):
// generateText and streamText for text, thinking, tools, JSON output and errors; embeddings via its
// native embedding model.
import { createAlibaba } from '@ai-sdk/alibaba';
import { APICallError, embedMany, generateText, jsonSchema, Output, stepCountIs, streamText, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/server.ts';

// The provider warns (by design) that qwen-plus takes JSON schemas as JSON-object mode; keep the run quiet.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

let emu: Emulator;
let alibaba: ReturnType<typeof createAlibaba>;
beforeAll(async () => {
  emu = await startEmulator({ port: 0, chunkDelayMs: 0 });
  alibaba = createAlibaba({ baseURL: `${emu.url}/compatible-mode/v1`, embeddingBaseURL: `${emu.url}/api/v1`, apiKey: emu.apiKey });
});
afterAll(() => emu.close());

describe('@ai-sdk/alibaba against the emulator', () => {
  it('generateText returns the text, finish reason and usage', async () => {
    const r = await generateText({ model: alibaba('qwen-plus'), prompt: 'Describe a quiet harbour', maxRetries: 0 });
    expect(r.text).toContain('harbour');
    expect(r.finishReason).toBe('stop');
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.usage.outputTokens).toBeGreaterThan(0);
    expect(r.response.id).toMatch(/^chatcmpl-/);
  });

  it('streamText yields the same text as generateText, with usage from the final chunk', async () => {
    const whole = await generateText({ model: alibaba('qwen-plus'), prompt: 'Describe a quiet harbour', maxRetries: 0 });
    const s = streamText({ model: alibaba('qwen-plus'), prompt: 'Describe a quiet harbour', maxRetries: 0 });
    let text = '';
    for await (const part of s.textStream) text += part;
    expect(text).toBe(whole.text);
    expect((await s.usage).outputTokens).toBe(whole.usage.outputTokens);
  });

  it('streamText with enableThinking streams reasoning then text', async () => {
    const s = streamText({ model: alibaba('qwen3-max'), prompt: 'Count the r in strawberry', providerOptions: { alibaba: { enableThinking: true } }, maxRetries: 0 });
    const order: string[] = [];
    for await (const p of s.fullStream) if (p.type === 'reasoning-delta' || p.type === 'text-delta') order.push(p.type);
    expect(order[0]).toBe('reasoning-delta');
    expect(order.lastIndexOf('reasoning-delta')).toBeLessThan(order.indexOf('text-delta'));
    expect((await s.usage).outputTokenDetails.reasoningTokens).toBeGreaterThan(0);
  });

  it('generateText with thinking on qwen3-max (non-stream allowed) returns reasoning text', async () => {
    const r = await generateText({ model: alibaba('qwen3-max'), prompt: 'Why do cats purr?', providerOptions: { alibaba: { enableThinking: true } }, maxRetries: 0 });
    expect(r.reasoningText).toMatch(/\w/);
    expect(r.text).toMatch(/\w/);
  });

  it('runs a tool loop: streamed call assembled from the quirky deltas, tool executed, final text', async () => {
    const seen: unknown[] = [];
    const s = streamText({
      model: alibaba('qwen-plus'),
      prompt: 'What is the weather in Lisbon?',
      tools: {
        weather: tool({
          description: 'Weather for a location',
          inputSchema: jsonSchema<{ location: string }>({ type: 'object', properties: { location: { type: 'string' } }, required: ['location'] }),
          execute: async (input) => {
            seen.push(input);
            return { forecast: 'sunny and warm' };
          },
        }),
      },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    const text = await s.text;
    expect(seen).toEqual([{ location: 'Lisbon' }]);
    expect((await s.steps)[0]!.finishReason).toBe('tool-calls');
    expect(text).toMatch(/sunny/);
  });

  it('generateText with an object output gets JSON that matches the schema', async () => {
    const r = await generateText({
      model: alibaba('qwen-plus'),
      prompt: 'Give me a recipe name for Lasagna',
      output: Output.object({ schema: jsonSchema<{ name: string; servings: number }>({ type: 'object', properties: { name: { type: 'string' }, servings: { type: 'integer', minimum: 1, maximum: 12 } }, required: ['name', 'servings'], additionalProperties: false }) }),
      maxRetries: 0,
    });
    expect(typeof r.output.name).toBe('string');
    expect(r.output.servings).toBeGreaterThanOrEqual(1);
  });

  it('surfaces a DashScope 400 as APICallError with the exact message', async () => {
    const err = await generateText({ model: alibaba('qwen3-32b'), prompt: 'x', providerOptions: { alibaba: { enableThinking: true } }, maxRetries: 0 }).catch((e: unknown) => e);
    expect(APICallError.isInstance(err)).toBe(true);
    expect((err as APICallError).statusCode).toBe(400);
    expect((err as APICallError).message).toBe('parameter.enable_thinking must be set to false for non-streaming calls');
  });

  it('embedMany goes through the native embedding endpoint with the requested dimension', async () => {
    const r = await embedMany({ model: alibaba.embeddingModel('text-embedding-v4'), values: ['red apple', 'green apple', 'tax law'], providerOptions: { alibaba: { dimension: 256 } }, maxRetries: 0 });
    expect(r.embeddings).toHaveLength(3);
    expect(r.embeddings.every((e) => e.length === 256)).toBe(true);
  });
});
