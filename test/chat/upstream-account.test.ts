// chat-stream when DashScope refuses the service's own key or account: upstream_auth_failed or
// upstream_quota_exceeded (502) with DashScope's code, never the invalid_api_key a wrong client key gets.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startChatStack, type ChatStack } from './harness.ts';

let good: ChatStack;
let wrongKey: ChatStack;
let retrying: ChatStack;
beforeAll(async () => {
  good = await startChatStack({ env: { DASHSCOPE_MAX_RETRIES: '0' } });
  wrongKey = await startChatStack({ env: { DASHSCOPE_API_KEY: 'sk-not-the-emulators-key', DASHSCOPE_MAX_RETRIES: '0' } });
  retrying = await startChatStack({ env: { DASHSCOPE_MAX_RETRIES: '2' } });
});
afterAll(async () => {
  await good?.close();
  await wrongKey?.close();
  await retrying?.close();
});
beforeEach(() => {
  good.emu.faults.clear();
  retrying.emu.faults.clear();
});

async function post(stack: ChatStack, path: string, body: unknown) {
  const res = await fetch(`${stack.baseURL}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { error: { code: string; message: string; type: string } } };
}
const chat = { model: 'qwen-plus', messages: [{ role: 'user', content: 'hi' }], stream: true };
const embed = { model: 'text-embedding-v4', input: ['one', 'two'] };

describe('chat and embeddings, the service’s DashScope key or account refused', () => {
  it.each([
    ['/chat/completions', chat],
    ['/embeddings', embed],
  ])('answers %s with 502 upstream_auth_failed when DASHSCOPE_API_KEY is wrong', async (path, body) => {
    const r = await post(wrongKey, path, body);
    expect(r.status).toBe(502);
    expect(r.body.error).toMatchObject({ code: 'upstream_auth_failed', type: 'api_error' });
    expect(r.body.error.message).toContain('invalid_api_key');
    expect(r.body.error.message).toContain('DASHSCOPE_API_KEY');
    expect(r.body.error.message).toContain('not your API key');
  });

  it('answers 502 upstream_quota_exceeded, keeping Arrearage, when the account is in arrears', async () => {
    good.emu.faults.add({ match: { path: '/compatible-mode/v1/chat/completions' }, times: 1, fault: { kind: 'status', status: 400, code: 'Arrearage', message: 'Access denied, please make sure your account is in good standing.' } });
    const r = await post(good, '/chat/completions', chat);
    expect(r.status).toBe(502);
    expect(r.body.error).toMatchObject({ code: 'upstream_quota_exceeded', type: 'api_error' });
    expect(r.body.error.message).toContain('Arrearage');
  });

  it('answers 502 upstream_auth_failed for a 403 access_denied on embeddings', async () => {
    good.emu.faults.add({ match: { path: '/compatible-mode/v1/embeddings' }, times: 1, fault: { kind: 'status', status: 403 } });
    const r = await post(good, '/embeddings', embed);
    expect(r.status).toBe(502);
    expect(r.body.error.code).toBe('upstream_auth_failed');
    expect(r.body.error.message).toContain('access_denied');
  });

  it('still answers a throttle (insufficient_quota is a TPM limit, not billing) as 429 with its own code', async () => {
    good.emu.faults.add({ match: { path: '/compatible-mode/v1/chat/completions' }, times: 1, fault: { kind: 'status', status: 429, code: 'insufficient_quota', message: 'You exceeded your current quota' } });
    const r = await post(good, '/chat/completions', chat);
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe('insufficient_quota');
  });
});

describe('arrears and quota are not retried; throttling is', () => {
  const CHAT = '/compatible-mode/v1/chat/completions';
  const EMBED = '/compatible-mode/v1/embeddings';
  /** Statuses of the requests DashScope saw on `path` since `from`. */
  const seen = (from: number, path: string) => retrying.emu.requests.slice(from).filter((r) => r.path === path).map((r) => r.status);

  it.each([
    ['/chat/completions', 400, 'Arrearage'],
    ['/chat/completions', 403, 'AllocationQuota.FreeTierOnly'],
    ['/embeddings', 400, 'Arrearage'],
    ['/embeddings', 403, 'AllocationQuota.FreeTierOnly'],
    // arrears are billing whatever status they came with: a retry cannot pay the bill
    ['/chat/completions', 429, 'Arrearage'],
  ])('answers %s refused with %i %s as 502 upstream_quota_exceeded after one request, with retries configured', async (path, status, code) => {
    const [upstreamPath, body] = path === '/embeddings' ? [EMBED, embed] : [CHAT, chat];
    const before = retrying.emu.requests.length;
    retrying.emu.faults.add({ match: { path: upstreamPath }, times: 3, fault: { kind: 'status', status, code, message: 'account problem' } });
    const r = await post(retrying, path, body);
    expect(r.status).toBe(502);
    expect(r.body.error.code).toBe('upstream_quota_exceeded');
    expect(r.body.error.message).toContain(code);
    expect(seen(before, upstreamPath)).toEqual([status]);
  });

  it.each(['insufficient_quota', 'Throttling.AllocationQuota', 'Throttling.RateQuota'])('retries a 429 %s with backoff and answers what the retry got', async (code) => {
    const before = retrying.emu.requests.length;
    retrying.emu.faults.add({ match: { path: CHAT }, times: 1, fault: { kind: 'status', status: 429, code, message: 'Allocated quota exceeded, please increase your quota limit.' } });
    const res = await fetch(`${retrying.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat) });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('data: [DONE]');
    expect(seen(before, CHAT)).toEqual([429, 200]);
  });

  it('answers 429 with DashScope’s throttling code once the retries are spent, never as a quota failure', async () => {
    const before = retrying.emu.requests.length;
    retrying.emu.faults.add({ match: { path: CHAT }, times: 3, fault: { kind: 'status', status: 429, code: 'Throttling.AllocationQuota', message: 'Allocated quota exceeded' } });
    const r = await post(retrying, '/chat/completions', chat);
    expect(r.status).toBe(429);
    expect(r.body.error).toMatchObject({ code: 'Throttling.AllocationQuota', type: 'rate_limit_error' });
    expect(seen(before, CHAT)).toEqual([429, 429, 429]);
  });
});
