// Checklist 10: embeddings through the openai SDK (compatible mode) and plain fetch (native): batch cap of
// 10, the model's dimensions only, index and usage, deterministic L2-normalised vectors whose cosine
// reflects shared words.
import type { APIError } from 'openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/server.ts';
import { post } from './helpers.ts';

let emu: Emulator;
let client: OpenAI;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  client = new OpenAI({ baseURL: `${emu.url}/compatible-mode/v1`, apiKey: emu.apiKey, maxRetries: 0 });
});
afterAll(() => emu.close());

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0) / (norm(a) * norm(b));

describe('compatible-mode embeddings (openai SDK)', () => {
  it('returns one unit vector per input with index, model and usage', async () => {
    const r = await client.embeddings.create({ model: 'text-embedding-v3', input: ['alpha beta', 'gamma'], encoding_format: 'float' });
    expect(r.object).toBe('list');
    expect(r.data.map((d) => d.index)).toEqual([0, 1]);
    expect(r.data.every((d) => d.object === 'embedding' && d.embedding.length === 1024)).toBe(true);
    for (const d of r.data) expect(norm(d.embedding)).toBeCloseTo(1, 6);
    expect(r.usage.prompt_tokens).toBe(3);
    expect(r.usage.total_tokens).toBe(3);
  });

  it('honours dimensions and gives the same vector for the same text', async () => {
    const a = await client.embeddings.create({ model: 'text-embedding-v4', input: 'the same words', dimensions: 64, encoding_format: 'float' });
    const b = await client.embeddings.create({ model: 'text-embedding-v4', input: 'the same words', dimensions: 64, encoding_format: 'float' });
    expect(a.data[0]!.embedding).toHaveLength(64);
    expect(a.data[0]!.embedding).toEqual(b.data[0]!.embedding);
  });

  it('puts texts that share words closer together than unrelated texts', async () => {
    const r = await client.embeddings.create({
      model: 'text-embedding-v3',
      input: ['the cat sat on the warm mat', 'a cat sat on the mat', 'quarterly tax filing deadline extended'],
      encoding_format: 'float',
    });
    const [a, b, c] = r.data.map((d) => d.embedding) as [number[], number[], number[]];
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c) + 0.3);
  });

  it("decodes to the same vector with the SDK's default base64 encoding", async () => {
    const viaBase64 = await client.embeddings.create({ model: 'text-embedding-v3', input: 'base64 check' });
    const viaFloat = await client.embeddings.create({ model: 'text-embedding-v3', input: 'base64 check', encoding_format: 'float' });
    viaBase64.data[0]!.embedding.forEach((x, i) => expect(x).toBeCloseTo(viaFloat.data[0]!.embedding[i]!, 6));
  });

  it('rejects more than 10 inputs with the batch-size 400', async () => {
    const err = await client.embeddings.create({ model: 'text-embedding-v3', input: Array.from({ length: 11 }, (_, i) => `t${i}`), encoding_format: 'float' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as APIError).code).toBe('invalid_parameter_error');
    expect(((err as APIError).error as { message: string }).message).toContain('batch size is invalid, it should not be larger than 10.');
  });

  it('rejects a dimension the model does not offer', async () => {
    const err = await client.embeddings.create({ model: 'text-embedding-v3', input: 'x', dimensions: 2048, encoding_format: 'float' }).catch((e: unknown) => e);
    expect((err as APIError).status).toBe(400);
  });
});

describe('native embeddings (fetch)', () => {
  it('returns output.embeddings with text_index and usage.total_tokens, honouring parameters.dimension', async () => {
    const res = await post(emu, '/api/v1/services/embeddings/text-embedding/text-embedding', { model: 'text-embedding-v4', input: { texts: ['one two', 'three'] }, parameters: { dimension: 512 } });
    const body = (await res.json()) as { output: { embeddings: { embedding: number[]; text_index: number }[] }; usage: { total_tokens: number }; request_id: string };
    expect(body.output.embeddings.map((e) => [e.text_index, e.embedding.length])).toEqual([[0, 512], [1, 512]]);
    expect(body.usage.total_tokens).toBe(3);
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('answers InvalidParameter with the batch-size message for 11 texts', async () => {
    const res = await post(emu, '/api/v1/services/embeddings/text-embedding/text-embedding', { model: 'text-embedding-v3', input: { texts: Array.from({ length: 11 }, () => 'x') } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe('InvalidParameter');
    expect(body.message).toContain('batch size is invalid, it should not be larger than 10.');
  });
});
