// The guards through chat-stream as an app meets them: a tenant past its RPM gets 429 with Retry-After in the
// OpenAI error shape, a spent budget 402, every answered call one ledger entry under the tenant (a client
// repeating its request id is still billed per call), and log lines name the tenant, never the key.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../shared/use-cases/tenants/client-keys.ts';
import { startChatStack, type ChatStack } from './harness.ts';

let stack: ChatStack;
let limited: string;
let thrifty: string;
let plain: string;

beforeAll(async () => {
  stack = await startChatStack({ emulator: { chunkDelayMs: 0, replyTokens: 8 }, env: { CLIENT_KEY_CACHE_MS: '0' } });
  const make = async (name: string, extra: Parameters<typeof createClientKey>[1] = { name }) => (await createClientKey(stack.deps, { ...extra, name })).key;
  limited = await make('limited', { name: 'limited', limits: { rpm: 2 } });
  // 0.000001 USD is 7 micro-CNY: the first call is admitted from zero, and its cost spends it all
  thrifty = await make('thrifty', { name: 'thrifty', budgets: { dailyUsd: 0.000001 } });
  plain = await make('plain');
});
afterAll(async () => stack?.close());

const body = JSON.stringify({ model: 'qwen-plus', max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] });
const post = (key: string, headers: Record<string, string> = {}) =>
  fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers }, body });
const ledgerOf = async (tenant: string) =>
  (await stack.deps.guards.listLedger({ from: new Date(0), to: new Date(Date.now() + 60_000), tenant, limit: 100 })).entries;

describe('guards on chat-stream', () => {
  it('answers a tenant past its RPM with 429, Retry-After and the OpenAI error shape, before DashScope is called', async () => {
    // keep the three calls in one calendar minute
    if (new Date().getUTCSeconds() > 55) await new Promise((r) => setTimeout(r, 6_000));
    const upstreamBefore = stack.upstream.length;
    expect((await post(limited)).status).toBe(200);
    expect((await post(limited)).status).toBe(200);
    const refused = await post(limited);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await refused.json()).toEqual({
      error: { code: 'rate_limit_exceeded', type: 'rate_limit_error', message: expect.stringContaining("2 requests per minute to 'qwen-plus' for tenant 'limited'"), request_id: expect.any(String) },
    });
    expect(stack.upstream.length - upstreamBefore).toBe(2);
    // the openai SDK sees a RateLimitError it can back off on
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: limited, maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'qwen-plus', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    expect(await ledgerOf('limited')).toHaveLength(2);
  });

  it('answers 402 budget_exceeded once the tenant has spent its budget, and bills only what was served', async () => {
    expect((await post(thrifty)).status).toBe(200);
    const refused = await post(thrifty);
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ error: { code: 'budget_exceeded', type: 'insufficient_quota', message: expect.stringContaining("the daily budget of tenant 'thrifty' is spent") } });
    const ledger = await ledgerOf('thrifty');
    expect(ledger).toHaveLength(1);
    expect(ledger[0]!.costMicros).toBeGreaterThan(0);
  });

  it('bills every call once, even when the client repeats its request id', async () => {
    for (let i = 0; i < 3; i++) expect((await post(plain, { 'x-request-id': 'same-id-every-time' })).status).toBe(200);
    const ledger = await ledgerOf('plain');
    expect(ledger).toHaveLength(3);
    expect(new Set(ledger.map((e) => e.id)).size).toBe(3);
    expect(ledger.every((e) => e.kind === 'chat' && e.model === 'qwen-plus' && e.units.prompt_tokens! > 0)).toBe(true);
  });

  it('names the tenant in the request log line, never the key', async () => {
    await post(plain);
    const line = stack.requestLogs().find((l) => l.tenant === 'plain');
    expect(line).toMatchObject({ tenant: 'plain', status: 200, path: '/v1/chat/completions' });
    for (const key of [limited, thrifty, plain]) expect(stack.logLines.some((l) => l.includes(key))).toBe(false);
  });
});
