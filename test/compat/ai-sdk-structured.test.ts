// The Vercel AI SDK's generateObject and streamObject, unchanged, against `npm start`, through
// @ai-sdk/openai-compatible: its defaults (json_object, no schema and no word "json" sent), its structured
// outputs option (json_schema), and a Qwen3 thinking model.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateObject, streamObject } from 'ai';
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';

// the SDK warns on every call that the defaults send no schema: that is the case under test, not news
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

const baseURL = `${inject('compatOrigin')}/v1`;
/** The provider as an app creates it: nothing but a name and the base URL. */
const defaults = createOpenAICompatible({ name: 'dashscope', baseURL, apiKey: 'local-mode-needs-none' });
/** The same with structured outputs on: the schema goes out as response_format json_schema. */
const structured = createOpenAICompatible({ name: 'dashscope', baseURL, apiKey: 'local-mode-needs-none', supportsStructuredOutputs: true });

// The defaults send the schema to nobody: the model answers from the prompt alone, so the schema is one the
// emulator's JSON-mode answer has
const Summary = z.object({ answer: z.string(), keywords: z.array(z.string()), tokens: z.number() });
const Recipe = z.object({
  name: z.string(),
  servings: z.number().int().min(1).max(12),
  ingredients: z.array(z.object({ item: z.string(), grams: z.number().nullable() })),
  difficulty: z.enum(['easy', 'medium', 'hard']),
});
/** DashScope's switch, as the provider passes its own options on in the body. */
const thinkingOn = { dashscope: { enable_thinking: true } };

describe('AI SDK generateObject / streamObject with @ai-sdk/openai-compatible defaults', () => {
  it('generateObject is served although no message says "json"', async () => {
    const r = await generateObject({ model: defaults('qwen-plus'), schema: Summary, prompt: 'Summarise the history of tea.' });
    expect(Summary.parse(r.object)).toEqual(r.object);
    expect(r.response.headers?.['x-dashscope-fc-json-instruction']).toBe('added');
  });

  it('streamObject streams partial objects to the whole', async () => {
    const r = streamObject({ model: defaults('qwen-plus'), schema: Summary, prompt: 'Summarise the history of silk.' });
    let partials = 0;
    for await (const _ of r.partialObjectStream) partials++;
    expect(partials).toBeGreaterThan(1);
    expect(Summary.safeParse(await r.object).success).toBe(true);
  });

  it('generateObject on a Qwen3 thinking model (thinks by default) is served without thinking', async () => {
    const r = await generateObject({ model: defaults('qwen3-32b'), schema: Summary, prompt: 'Summarise the history of porcelain.' });
    expect(Summary.safeParse(r.object).success).toBe(true);
    expect(r.response.headers?.['x-dashscope-fc-thinking']).toBe('disabled; reason=json-mode');
  });

  it('streamObject with thinking asked for is served without thinking', async () => {
    const r = streamObject({ model: defaults('qwen-plus'), schema: Summary, prompt: 'Summarise the history of paper.', providerOptions: thinkingOn });
    // the promises settle as the stream is read
    for await (const _ of r.partialObjectStream);
    expect(Summary.safeParse(await r.object).success).toBe(true);
    expect((await r.response).headers?.['x-dashscope-fc-thinking']).toBe('disabled; reason=json-mode');
  });
});

describe('AI SDK with supportsStructuredOutputs (response_format json_schema)', () => {
  it('generateObject follows any schema: the layer puts it in the instructions and checks the answer', async () => {
    const r = await generateObject({ model: structured('qwen-plus'), schema: Recipe, prompt: 'A recipe for dumplings.' });
    expect(Recipe.parse(r.object)).toEqual(r.object);
    expect(r.response.headers?.['x-dashscope-fc-json-schema']).toBe('checked; attempts=1');
  });

  it('generateObject with thinking asked for on a Qwen3 thinking model', async () => {
    const r = await generateObject({ model: structured('qwen3-32b'), schema: Recipe, prompt: 'A recipe for noodles.', providerOptions: thinkingOn });
    expect(Recipe.safeParse(r.object).success).toBe(true);
  });

  it('streamObject streams the checked object', async () => {
    const r = streamObject({ model: structured('qwen3-32b'), schema: Recipe, prompt: 'A recipe for mooncakes.', providerOptions: thinkingOn });
    let partials = 0;
    for await (const _ of r.partialObjectStream) partials++;
    expect(partials).toBeGreaterThan(1);
    expect(Recipe.safeParse(await r.object).success).toBe(true);
  });
});
