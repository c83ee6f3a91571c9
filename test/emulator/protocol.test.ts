// Checklist 1–4: one host for both protocols, Bearer keys, request ids, and the two error envelopes.
import type { APIError } from 'openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/server.ts';
import { get, post, UUID } from './helpers.ts';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0, chunkDelayMs: 0, apiKeys: ['sk-emulator-local', 'sk-second-key'] });
});
afterAll(() => emu.close());

const chatBody = { model: 'qwen-plus', messages: [{ role: 'user', content: 'Say hello' }] };

describe('one host, two protocols', () => {
  it('serves compatible mode and the native API from the same origin', async () => {
    const compat = await post(emu, '/compatible-mode/v1/chat/completions', chatBody);
    const native = await post(emu, '/api/v1/services/embeddings/text-embedding/text-embedding', { model: 'text-embedding-v3', input: { texts: ['hi'] } });
    expect(compat.status).toBe(200);
    expect(native.status).toBe(200);
  });

  it('answers 404 to OpenAI paths under /api/v1, as the openai SDK sees it', async () => {
    const client = new OpenAI({ baseURL: `${emu.url}/api/v1`, apiKey: emu.apiKey, maxRetries: 0 });
    const err = await client.chat.completions.create(chatBody as OpenAI.ChatCompletionCreateParamsNonStreaming).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((await post(emu, '/api/v1/embeddings', { model: 'text-embedding-v3', input: 'x' })).status).toBe(404);
  });

  it('accepts every configured key', async () => {
    const res = await fetch(`${emu.url}/compatible-mode/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-second-key', 'content-type': 'application/json' },
      body: JSON.stringify(chatBody),
    });
    expect(res.status).toBe(200);
  });
});

describe('auth', () => {
  it('rejects a wrong key with 401 invalid_api_key through the openai SDK', async () => {
    const client = new OpenAI({ baseURL: `${emu.url}/compatible-mode/v1`, apiKey: 'sk-other-region', maxRetries: 0 });
    const err = await client.chat.completions.create(chatBody as OpenAI.ChatCompletionCreateParamsNonStreaming).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as APIError).status).toBe(401);
    expect((err as APIError).code).toBe('invalid_api_key');
    expect((err as APIError).requestID).toMatch(UUID);
  });

  it('rejects a missing key on the native API with 401 InvalidApiKey at top level', async () => {
    const res = await fetch(`${emu.url}/api/v1/tasks/abc`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['code', 'message', 'request_id']);
    expect(body.code).toBe('InvalidApiKey');
    expect(body.message).toBe('Invalid API-key provided.');
  });
});

describe('request ids and envelopes', () => {
  it('puts a UUID x-request-id on every reply and uses it for the chat id', async () => {
    const res = await post(emu, '/compatible-mode/v1/chat/completions', chatBody);
    const rid = res.headers.get('x-request-id');
    expect(rid).toMatch(UUID);
    const body = (await res.json()) as { id: string };
    expect(body.id).toBe(`chatcmpl-${rid}`);
  });

  it('echoes x-request-id as request_id in native bodies, success and error alike', async () => {
    const ok = await get(emu, '/api/v1/tasks/00000000-0000-0000-0000-000000000000');
    expect(((await ok.json()) as { request_id: string }).request_id).toBe(ok.headers.get('x-request-id'));
    const bad = await post(emu, '/api/v1/services/aigc/text2image/image-synthesis', { model: 'wanx2.1-t2i-turbo', input: { prompt: 'x' } });
    expect(bad.status).toBe(403);
    expect(((await bad.json()) as { request_id: string }).request_id).toBe(bad.headers.get('x-request-id'));
  });

  it('writes compat errors as {error:{code,param,message,type}, id, request_id}', async () => {
    const res = await post(emu, '/compatible-mode/v1/chat/completions', { ...chatBody, model: 'qwen-nonexistent' });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: Record<string, unknown>; request_id: string; id: string };
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(body.error.code).toBe('model_not_found');
    expect(body.error.param).toBeNull();
    expect(body.error.message).toBe('The model `qwen-nonexistent` does not exist or you do not have access to it.');
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
    expect(body.id).toBe(`chatcmpl-${body.request_id}`);
  });

  it('answers an unknown model on a native service with 404 ModelNotFound', async () => {
    const res = await post(emu, '/api/v1/services/embeddings/text-embedding/text-embedding', { model: 'text-embedding-v9', input: { texts: ['a'] } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('ModelNotFound');
  });

  it('answers malformed JSON with 400 and a known method on the wrong verb with 405', async () => {
    const res = await fetch(`${emu.url}/compatible-mode/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.apiKey}`, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(res.status).toBe(400);
    expect((await get(emu, '/compatible-mode/v1/chat/completions')).status).toBe(405);
  });

  it('sends the DashScope gateway headers and no X-RateLimit headers', async () => {
    const res = await post(emu, '/compatible-mode/v1/chat/completions', chatBody);
    expect(res.headers.get('x-dashscope-call-gateway')).toBe('true');
    expect(res.headers.get('server')).toBe('istio-envoy');
    expect([...res.headers.keys()].some((k) => k.startsWith('x-ratelimit'))).toBe(false);
  });

  it('lists the catalogue on /compatible-mode/v1/models for openai models.list', async () => {
    const client = new OpenAI({ baseURL: `${emu.url}/compatible-mode/v1`, apiKey: emu.apiKey });
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain('qwen3-max');
    expect(ids).toContain('wan2.5-t2v-preview');
  });
});
