// Checklist 20: per-model RPM and TPM from the catalogue (overridable): 429 Throttling.RateQuota /
// limit_requests for requests, Throttling.AllocationQuota / insufficient_quota for tokens, no Retry-After.
import type { APIError } from 'openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/server.ts';
import { post } from './helpers.ts';

let emu: Emulator;
let client: OpenAI;
beforeAll(async () => {
  emu = await startEmulator({
    port: 0,
    rateLimits: { 'qwen-turbo': 2, 'qwen-plus': { tpm: 60 }, 'text-embedding-v3': { tpm: 10 }, 'qwen3-tts-flash': 1 },
  });
  client = new OpenAI({ baseURL: `${emu.url}/compatible-mode/v1`, apiKey: emu.apiKey, maxRetries: 0 });
});
afterAll(() => emu.close());

const ask = (model: string, content = 'hi') => client.chat.completions.create({ model, messages: [{ role: 'user', content }], max_tokens: 10 });

describe('rate limits', () => {
  it('answers the request over the model RPM with 429 limit_requests (openai RateLimitError)', async () => {
    await ask('qwen-turbo');
    await ask('qwen-turbo');
    const err = (await ask('qwen-turbo').catch((e: unknown) => e)) as APIError;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('limit_requests');
    expect(err.headers?.get('retry-after')).toBeNull();
    // Other models have their own budget.
    expect((await ask('qwen-max')).choices).toHaveLength(1);
  });

  it('answers the request over the model TPM with 429 insufficient_quota', async () => {
    const long = 'word '.repeat(30);
    await ask('qwen-plus', long);
    const err = (await ask('qwen-plus', long).catch((e: unknown) => e)) as APIError;
    expect(err.status).toBe(429);
    expect(err.code).toBe('insufficient_quota');
    expect((err.error as { type: string }).type).toBe('insufficient_quota');
  });

  it('uses Throttling.AllocationQuota for TPM and Throttling.RateQuota for RPM in native bodies', async () => {
    const emb = await post(emu, '/api/v1/services/embeddings/text-embedding/text-embedding', { model: 'text-embedding-v3', input: { texts: ['one two three four five six seven eight nine ten eleven'] } });
    expect(emb.status).toBe(429);
    expect(await emb.json()).toMatchObject({ code: 'Throttling.AllocationQuota' });
    const tts = { model: 'qwen3-tts-flash', input: { text: 'hello' } };
    expect((await post(emu, '/api/v1/services/aigc/multimodal-generation/generation', tts)).status).toBe(200);
    const second = await post(emu, '/api/v1/services/aigc/multimodal-generation/generation', tts);
    expect(second.status).toBe(429);
    expect(await second.json()).toMatchObject({ code: 'Throttling.RateQuota', message: 'Requests rate limit exceeded, please try again later.' });
  });
});
