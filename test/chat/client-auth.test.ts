// chat-stream with CLIENT_API_KEYS set: OpenAI clients pass one of the keys as their API key; a request
// without one (or with another) is answered 401 in the error shape before anything reaches DashScope, and
// the keys appear in no log line.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../functions/chat-stream/index.ts';
import { OPEN_ACCESS_WARNING } from '../../shared/http/client-auth.ts';
import { createLogger } from '../../shared/log/logger.ts';
import { startChatStack, type ChatStack } from './harness.ts';

const KEY = 'app-key-0123456789abcdef';
const OTHER = 'app-key-2-0123456789abcdef';
let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack({ env: { CLIENT_API_KEYS: `${KEY},${OTHER}` } });
});
afterAll(async () => stack?.close());

const client = (apiKey: string) => new OpenAI({ baseURL: stack.baseURL, apiKey, maxRetries: 0 });
const ask = [{ role: 'user' as const, content: 'Say hi.' }];

describe('chat-stream with client API keys', () => {
  it('serves a client that sends a configured key, streamed and not, and embeddings', async () => {
    const r = await client(KEY).chat.completions.create({ model: 'qwen-plus', messages: ask });
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
    const stream = await client(OTHER).chat.completions.create({ model: 'qwen-plus', messages: ask, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    const e = await client(KEY).embeddings.create({ model: 'text-embedding-v4', input: ['a', 'b'] });
    expect(e.data).toHaveLength(2);
  });

  it('answers 401 invalid_api_key to a wrong key, on every route, and calls DashScope for none of them', async () => {
    const before = stack.upstream.length;
    const bad = client('not-a-configured-key-0123');
    const chat = await bad.chat.completions.create({ model: 'qwen-plus', messages: ask }).catch((e: unknown) => e);
    expect(chat).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((chat as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
    await expect(bad.chat.completions.create({ model: 'qwen-plus', messages: ask, stream: true })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(bad.embeddings.create({ model: 'text-embedding-v4', input: 'a' })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(bad.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    expect(stack.upstream.length).toBe(before);
  });

  it('answers 401 missing_api_key with a Bearer challenge when no key is sent; an unknown route is a 404 either way; /healthz stays open', async () => {
    const res = await fetch(`${stack.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen-plus', messages: ask }) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    const body = (await res.json()) as { error: { code: string; type: string; request_id: string } };
    expect(body.error).toMatchObject({ code: 'missing_api_key', type: 'authentication_error' });
    expect(body.error.request_id).toBe(res.headers.get('x-request-id'));
    expect((await fetch(`${stack.url}/v1/nowhere`)).status).toBe(404);
    const health = await fetch(`${stack.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('logs refused requests with their status and code, and never a key', async () => {
    await client('not-a-configured-key-4567').models.list().catch(() => undefined);
    const refused = stack.requestLogs().filter((l) => l.status === 401);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.at(-1)).toMatchObject({ path: '/v1/models', errorCode: 'invalid_api_key' });
    const all = JSON.stringify(stack.logs);
    expect(all).not.toContain(KEY);
    expect(all).not.toContain(OTHER);
    expect(all).not.toContain('not-a-configured-key');
  });

  it('warns once at start on Function Compute when no key is configured, and not when one is', () => {
    const lines: { level: string; msg: string }[] = [];
    const logger = createLogger('info', {}, (l) => lines.push(JSON.parse(l) as { level: string; msg: string }));
    const cloud = { ...stack.deps.config, mode: 'cloud' as const };
    createHttpHandler({ ...stack.deps, logger, config: { ...cloud, CLIENT_API_KEYS: undefined } });
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: OPEN_ACCESS_WARNING })]);
    createHttpHandler({ ...stack.deps, logger, config: cloud });
    createHttpHandler({ ...stack.deps, logger, config: { ...stack.deps.config, CLIENT_API_KEYS: undefined } });
    expect(lines).toHaveLength(1);
  });
});
