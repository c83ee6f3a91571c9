// DashScope's native embeddings path and its compatible-mode paths on chat-stream, over HTTP as deployed: the
// layer's client keys, the embeddings use case (limits, ledger) behind DashScope's native shapes, and every
// refusal in DashScope's error shape, before anything is sent upstream or billed.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClientKey } from '../../shared/use-cases/tenants/client-keys.ts';
import { startChatStack, type ChatStack } from '../chat/harness.ts';

const PATH = '/api/v1/services/embeddings/text-embedding/text-embedding';

let stack: ChatStack;
let key: string;

beforeAll(async () => {
  stack = await startChatStack({ emulator: { chunkDelayMs: 0, replyTokens: 8 }, env: { CLIENT_KEY_CACHE_MS: '0' } });
  key = (await createClientKey(stack.deps, { name: 'natives' })).key;
});
afterAll(async () => stack?.close());

/** `k` null: no Authorization header. */
async function post(path: string, body: unknown, k: string | null = key) {
  const res = await fetch(stack.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(k ? { authorization: `Bearer ${k}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> & { output?: { embeddings: { embedding: number[]; text_index: number }[] }; usage?: { total_tokens: number } } };
}
const ledger = async () => (await stack.deps.guards.listLedger({ from: new Date(0), to: new Date(Date.now() + 60_000), tenant: 'natives', limit: 100 })).entries;

describe('native embeddings on chat-stream', () => {
  it('answers DashScope native embeddings through the embeddings use case, and the ledger records it under the tenant', async () => {
    const before = stack.upstream.length;
    const r = await post(PATH, { model: 'text-embedding-v4', input: { texts: ['a red fox', 'a grey wolf', 'snow'] }, parameters: { dimension: 256, text_type: 'query' } });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ output: { embeddings: expect.any(Array) }, usage: { total_tokens: expect.any(Number) }, request_id: r.headers.get('x-request-id') });
    expect(r.json.output!.embeddings.map((e) => [e.text_index, e.embedding.length])).toEqual([[0, 256], [1, 256], [2, 256]]);
    expect(r.json.usage!.total_tokens).toBeGreaterThan(0);
    // one compatible-mode call upstream, with the native parameters in its words
    expect(stack.upstream.slice(before)).toEqual([{ op: 'embed', body: { model: 'text-embedding-v4', input: ['a red fox', 'a grey wolf', 'snow'], encoding_format: 'float', dimensions: 256, text_type: 'query' } }]);
    await vi.waitFor(async () => expect(await ledger()).toHaveLength(1));
    expect((await ledger())[0]).toMatchObject({ kind: 'embedding', model: 'text-embedding-v4', tenant: 'natives', units: { prompt_tokens: r.json.usage!.total_tokens } });
  });

  it('answers the same vectors as /v1/embeddings for the same texts', async () => {
    const native = await post(PATH, { model: 'text-embedding-v3', input: { texts: ['one', 'two'] } });
    const openai = await post('/v1/embeddings', { model: 'text-embedding-v3', input: ['one', 'two'] });
    expect(native.json.output!.embeddings.map((e) => e.embedding)).toEqual((openai.json.data as { embedding: number[] }[]).map((d) => d.embedding));
  });

  it.each([
    ['no texts', { model: 'text-embedding-v4', input: {} }, 400, 'InvalidParameter', 'input.texts'],
    ['an empty list of texts', { model: 'text-embedding-v4', input: { texts: [] } }, 400, 'InvalidParameter', 'at least one text'],
    ['an empty text', { model: 'text-embedding-v4', input: { texts: ['ok', ' '] } }, 400, 'InvalidParameter', 'input text 1 is empty'],
    ['sparse output', { model: 'text-embedding-v4', input: { texts: ['x'] }, parameters: { output_type: 'sparse' } }, 400, 'InvalidParameter', "only 'dense'"],
    ['a dimension the model lacks', { model: 'text-embedding-v3', input: { texts: ['x'] }, parameters: { dimension: 2048 } }, 400, 'InvalidParameter', 'supports dimensions'],
    ['an unknown parameter', { model: 'text-embedding-v4', input: { texts: ['x'] }, parameters: { pooling: 'mean' } }, 400, 'InvalidParameter', 'pooling'],
    ['an unknown model', { model: 'text-embedding-v9', input: { texts: ['x'] } }, 404, 'ModelNotFound', 'text-embedding-v9'],
    ['a chat model', { model: 'qwen-plus', input: { texts: ['x'] } }, 400, 'InvalidParameter', 'qwen-plus'],
    ['malformed JSON', '{"model":', 400, 'BadRequest.IllegalInput', 'request body'],
  ])('refuses %s in DashScope shape, sending nothing upstream and billing nothing', async (_what, body, status, code, words) => {
    const before = stack.upstream.length;
    const billed = (await ledger()).length;
    const r = await post(PATH, body);
    expect(r.status).toBe(status);
    expect(r.json).toEqual({ code, message: expect.stringContaining(words), request_id: r.headers.get('x-request-id') });
    expect(stack.upstream.length).toBe(before);
    expect((await ledger()).length).toBe(billed);
  });

  it('answers a missing or unknown key 401 InvalidApiKey in DashScope shape', async () => {
    for (const k of [null, 'test-client-key-not-a-known-one']) {
      const r = await post(PATH, { model: 'text-embedding-v4', input: { texts: ['x'] } }, k);
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ code: 'InvalidApiKey', message: expect.any(String), request_id: expect.any(String) });
    }
  });
});

describe("DashScope's compatible-mode paths on chat-stream", () => {
  it('serves chat completions, embeddings and models at /compatible-mode/v1, errors in the OpenAI shape', async () => {
    const chat = await post('/compatible-mode/v1/chat/completions', { model: 'qwen-plus', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.status).toBe(200);
    expect(chat.json).toMatchObject({ object: 'chat.completion', model: 'qwen-plus' });
    const emb = await post('/compatible-mode/v1/embeddings', { model: 'text-embedding-v4', input: 'hi' });
    expect(emb.json).toMatchObject({ object: 'list', data: [{ index: 0 }] });
    const models = await fetch(`${stack.url}/compatible-mode/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await models.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toContain('qwen-plus');
    const bad = await post('/compatible-mode/v1/chat/completions', { model: 'qwen-plus', messages: [] });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { type: 'invalid_request_error' } });
  });
});
