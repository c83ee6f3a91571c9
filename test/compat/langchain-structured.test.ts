// LangChain's ChatOpenAI.withStructuredOutput, unchanged, against `npm start`: every method (functionCalling,
// jsonMode, jsonSchema), each with thinking off and on, served although DashScope refuses thinking with
// JSON mode or a forced tool, and json_object without the word "json".
import { ChatOpenAI } from '@langchain/openai';
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';

const origin = inject('compatOrigin');
/** Thinking on: qwen-plus asked with enable_thinking, and qwen3-32b, which thinks unless told not to. */
const MODELS = {
  off: () => new ChatOpenAI({ model: 'qwen-plus', apiKey: 'local-mode-needs-none', configuration: { baseURL: `${origin}/v1` }, maxRetries: 0 }),
  on: () => new ChatOpenAI({ model: 'qwen-plus', apiKey: 'local-mode-needs-none', configuration: { baseURL: `${origin}/v1` }, maxRetries: 0, modelKwargs: { enable_thinking: true } }),
  'on by default (qwen3-32b)': () => new ChatOpenAI({ model: 'qwen3-32b', apiKey: 'local-mode-needs-none', configuration: { baseURL: `${origin}/v1` }, maxRetries: 0 }),
};

const Trip = z.object({
  destination: z.string().describe('the city to visit'),
  days: z.number().int().min(1).max(30),
  season: z.enum(['spring', 'summer', 'autumn', 'winter']),
  stops: z.array(z.string()),
});
// JSON mode carries no schema to the model: the prompt alone says what to answer (and says nothing of JSON),
// so the schema is one the emulator's JSON-mode answer has
const Summary = z.object({ answer: z.string(), keywords: z.array(z.string()), tokens: z.number() });

describe.each(Object.entries(MODELS))('LangChain withStructuredOutput, thinking %s', (_thinking, model) => {
  it('functionCalling (a forced tool) returns the parsed arguments', async () => {
    const r = await model().withStructuredOutput(Trip, { name: 'plan_trip', method: 'functionCalling' }).invoke('Plan a trip to Hangzhou.');
    expect(Trip.parse(r)).toEqual(r);
  });

  it('jsonMode returns the parsed answer', async () => {
    const r = await model().withStructuredOutput(Summary, { method: 'jsonMode' }).invoke('Summarise the history of tea.');
    expect(Summary.parse(r)).toEqual(r);
  });

  it('jsonSchema returns the parsed object, checked by the layer', async () => {
    const r = await model().withStructuredOutput(Trip, { name: 'trip', method: 'jsonSchema' }).invoke('Plan a trip to Suzhou.');
    expect(Trip.parse(r)).toEqual(r);
  });

  it('jsonSchema with includeRaw keeps the raw message next to the parsed object', async () => {
    const r = await model().withStructuredOutput(Trip, { name: 'trip', method: 'jsonSchema', includeRaw: true }).invoke('Plan a trip to Xiamen.');
    expect(Trip.safeParse(r.parsed).success).toBe(true);
    expect(JSON.parse(String(r.raw.content))).toEqual(r.parsed);
  });
});

describe('LangChain default method on a Qwen model', () => {
  it('is jsonSchema (LangChain picks it for non-gpt-3/4 names), served with thinking on', async () => {
    const r = await MODELS.on().withStructuredOutput(Trip).invoke('Plan a trip to Guilin.');
    expect(Trip.safeParse(r).success).toBe(true);
  });
});
