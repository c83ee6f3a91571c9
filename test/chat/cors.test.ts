// Browsers: with CORS_ALLOWED_ORIGINS set, an allowed origin's preflight (OPTIONS) is answered before the key
// check, and its calls, errors included, carry Access-Control-Allow-Origin; another origin gets no CORS headers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatStack, type ChatStack } from './harness.ts';

const KEY = 'app-key-0123456789abcdef';
const APP = 'https://app.example.com';
let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack({ env: { CLIENT_API_KEYS: KEY, CORS_ALLOWED_ORIGINS: `${APP}, https://admin.example.com/` } });
});
afterAll(async () => stack?.close());

const url = (path: string) => new URL(path, stack.baseURL.replace(/\/v1\/?$/, '/')).href;

describe('CORS on chat-stream', () => {
  it('answers an allowed origin’s preflight with 204, the path’s methods and the headers it asked for, without a key', async () => {
    const r = await fetch(url('/v1/chat/completions'), {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-stainless-os' },
    });
    expect(r.status).toBe(204);
    expect(Object.fromEntries([...r.headers].filter(([k]) => k.startsWith('access-control') || k === 'allow' || k === 'vary'))).toEqual({
      allow: 'POST, OPTIONS',
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'authorization, content-type, x-stainless-os',
      'access-control-max-age': '600',
      vary: 'Origin',
    });
    const models = await fetch(url('/v1/models'), { method: 'OPTIONS', headers: { origin: 'https://admin.example.com', 'access-control-request-method': 'GET' } });
    expect([models.status, models.headers.get('access-control-allow-methods'), models.headers.get('access-control-allow-origin')]).toEqual([204, 'GET, HEAD, OPTIONS', 'https://admin.example.com']);
  });

  it('gives another origin no CORS headers (its browser blocks the call), and an unknown path 404', async () => {
    const r = await fetch(url('/v1/chat/completions'), { method: 'OPTIONS', headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' } });
    expect(r.status).toBe(204);
    expect([...r.headers.keys()].filter((k) => k.startsWith('access-control'))).toEqual([]);
    const missing = await fetch(url('/v1/nothing'), { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'POST' } });
    expect(missing.status).toBe(404);
  });

  it('lets the allowed origin read answers and errors: a chat, and a 401 without the key', async () => {
    const ok = await fetch(url('/v1/chat/completions'), {
      method: 'POST',
      headers: { origin: APP, authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-plus', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(ok.status).toBe(200);
    expect([ok.headers.get('access-control-allow-origin'), ok.headers.get('access-control-expose-headers')?.includes('x-request-id')]).toEqual([APP, true]);
    const denied = await fetch(url('/v1/models'), { headers: { origin: APP } });
    expect([denied.status, denied.headers.get('access-control-allow-origin')]).toEqual([401, APP]);
    const head = await fetch(url('/v1/models'), { method: 'HEAD', headers: { origin: APP, authorization: `Bearer ${KEY}` } });
    expect([head.status, head.headers.get('access-control-allow-origin'), await head.text()]).toEqual([200, APP, '']);
  });
});
