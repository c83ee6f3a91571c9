// chat-stream with client keys: OpenAI clients pass a key of CLIENT_API_KEYS or of the key store as their API key
// and act for its tenant; a request without one (or with another, or a revoked one) is answered 401 in the error
// shape before anything reaches DashScope; cloud mode serves keyless requests only with ALLOW_ANONYMOUS; the keys
// appear in no log line.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../functions/chat-stream/index.ts';
import type { Config } from '../../shared/config/config.ts';
import { ANONYMOUS_ACCESS_WARNING } from '../../shared/http/client-auth.ts';
import { createLogger } from '../../shared/log/logger.ts';
import { createClientKey, revokeClientKeys } from '../../shared/use-cases/tenants/client-keys.ts';
import { startChatStack, type ChatStack } from './harness.ts';

const KEY = 'app-key-0123456789abcdef';
const OTHER = 'app-key-2-0123456789abcdef';
let stack: ChatStack;

beforeAll(async () => {
  // the store's answers are not cached, so a revocation shows on the next request
  stack = await startChatStack({ env: { CLIENT_API_KEYS: `${KEY},web=${OTHER}`, CLIENT_KEY_CACHE_MS: '0' } });
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

  it('acts for the tenant each configured key names: a bare key is key-<position>, name=key is name', async () => {
    await client(KEY).models.list();
    expect(stack.requestLogs().at(-1)).toMatchObject({ path: '/v1/models', status: 200, tenant: 'key-1' });
    await client(OTHER).models.list();
    expect(stack.requestLogs().at(-1)).toMatchObject({ path: '/v1/models', status: 200, tenant: 'web' });
  });

  it('serves a key of the store as its tenant, alongside the configured keys, then answers 401 invalid_api_key once it is revoked', async () => {
    const { key } = await createClientKey(stack.deps, { name: 'store-tenant' });
    expect(key).toMatch(/^dsfc_[A-Za-z0-9]{40}$/);
    const r = await client(key).chat.completions.create({ model: 'qwen-plus', messages: ask });
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(stack.requestLogs().at(-1)).toMatchObject({ path: '/v1/chat/completions', status: 200, tenant: 'store-tenant' });
    expect((await revokeClientKeys(stack.deps, 'store-tenant')).length).toBe(1);
    const before = stack.upstream.length;
    const refused = await client(key).chat.completions.create({ model: 'qwen-plus', messages: ask }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((refused as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
    // the same answer as a key that never existed: nothing tells the two apart
    const unknown = await client(`dsfc_${'x'.repeat(40)}`).chat.completions.create({ model: 'qwen-plus', messages: ask }).catch((e: unknown) => e);
    expect((unknown as Error).message).toBe((refused as Error).message);
    expect(stack.upstream.length).toBe(before);
    expect(JSON.stringify(stack.logs)).not.toContain(key);
  });
});

describe('chat-stream in cloud mode without a key', () => {
  /** chat-stream over the stack's deps with `config` changed, on a server of its own, and what it logged. */
  async function serveWith(config: Partial<Config>): Promise<{ url: string; lines: Record<string, unknown>[]; server: Server }> {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', {}, (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    const handler = createHttpHandler({ ...stack.deps, logger, config: { ...stack.deps.config, mode: 'cloud', ...config } });
    const server = createServer((req, res) => void handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, lines, server };
  }
  const models = (url: string, headers: Record<string, string> = {}) => fetch(`${url}/models`, { headers });

  it('answers 401 missing_api_key to a request without a key, even with no key configured anywhere', async () => {
    const s = await serveWith({ CLIENT_API_KEYS: undefined });
    try {
      const res = await models(s.url);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('missing_api_key');
      expect(s.lines.filter((l) => l.level === 'warn')).toEqual([]);
    } finally {
      s.server.close();
    }
  });

  it('with ALLOW_ANONYMOUS=true serves a keyless request as the tenant anonymous, still checks a key that is sent, and warns at start', async () => {
    const s = await serveWith({ ALLOW_ANONYMOUS: true });
    try {
      expect(s.lines).toEqual([expect.objectContaining({ level: 'warn', msg: ANONYMOUS_ACCESS_WARNING })]);
      const res = await models(s.url);
      expect(res.status).toBe(200);
      expect(s.lines.at(-1)).toMatchObject({ msg: 'request', status: 200, tenant: 'anonymous' });
      expect((await models(s.url, { authorization: 'Bearer not-a-configured-key-0123' })).status).toBe(401);
      expect((await models(s.url, { authorization: `Bearer ${KEY}` })).status).toBe(200);
      expect(s.lines.at(-1)).toMatchObject({ status: 200, tenant: 'key-1' });
    } finally {
      s.server.close();
    }
  });
});
