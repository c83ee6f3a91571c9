// POST /v1/audio/speech on chat-stream against the emulator: the guards admit and bill it (one ledger entry per
// synthesis, per character), a client that leaves cancels the synthesis upstream, and DashScope's refusal
// before any audio is an ordinary error answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireModel } from '../../shared/catalog/catalog.ts';
import { speechCharacters, speechCostOfCharacters } from '../../shared/catalog/pricing.ts';
import { parseWav } from '../../shared/audio/wav.ts';
import { createClientKey } from '../../shared/use-cases/tenants/client-keys.ts';
import { startChatStack, type ChatStack } from './harness.ts';

let stack: ChatStack;
let plain: string;
let limited: string;

beforeAll(async () => {
  stack = await startChatStack({ emulator: { chunkDelayMs: 5 }, env: { CLIENT_KEY_CACHE_MS: '0' } });
  plain = (await createClientKey(stack.deps, { name: 'speaker' })).key;
  limited = (await createClientKey(stack.deps, { name: 'hushed', limits: { rpm: 1 } })).key;
});
afterAll(async () => stack?.close());

const speak = (key: string, body: Record<string, unknown>, signal?: AbortSignal) =>
  fetch(`${stack.baseURL}/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'tts-1', voice: 'alloy', ...body }),
    ...(signal ? { signal } : {}),
  });
const ledgerOf = async (tenant: string) => (await stack.deps.guards.listLedger({ from: new Date(0), to: new Date(Date.now() + 60_000), tenant, limit: 100 })).entries;
const syntheses = () => stack.emu.requests.filter((r) => r.path.endsWith('/multimodal-generation/generation'));

describe('POST /v1/audio/speech', () => {
  it('streams the synthesis and bills its characters once, to the tenant', async () => {
    const input = '你好，世界。Hello, world.';
    const res = await speak(plain, { input });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-dashscope-request-id')).toBeTruthy();
    const wav = parseWav(Buffer.from(await res.arrayBuffer()));
    expect(wav.data.length).toBeGreaterThan(0);
    await expect.poll(() => ledgerOf('speaker')).toHaveLength(1);
    const [entry] = await ledgerOf('speaker');
    const model = requireModel('qwen3-tts-flash', 'text-to-speech');
    expect(entry).toMatchObject({ kind: 'speech', model: 'qwen3-tts-flash', costMicros: speechCostOfCharacters(model, speechCharacters(input)).micros });
  });

  it('answers a tenant past its RPM with 429 before DashScope is called', async () => {
    if (new Date().getUTCSeconds() > 55) await new Promise((r) => setTimeout(r, 6_000));
    expect((await speak(limited, { input: 'one' })).status).toBe(200);
    const before = syntheses().length;
    const refused = await speak(limited, { input: 'two' });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    expect(syntheses().length).toBe(before);
  });

  it('cancels the synthesis upstream when the client goes away mid-stream', async () => {
    const abort = new AbortController();
    const before = syntheses().length;
    const res = await speak(plain, { input: 'A long story about rivers and mills. '.repeat(16), response_format: 'pcm' }, abort.signal);
    const reader = res.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    abort.abort();
    await stack.emu.whenRequests((rs) => rs.slice(before).some((r) => r.path.endsWith('/generation') && r.aborted));
    const [call] = syntheses().slice(before);
    expect(call!.aborted).toBe(true);
  });

  it("answers DashScope's refusal before any audio as an error in the OpenAI shape, and bills nothing", async () => {
    stack.emu.faults.add({ match: { path: '/api/v1/services/aigc/multimodal-generation/' }, times: 1, fault: { kind: 'status', status: 400 } });
    const billed = (await ledgerOf('speaker')).length;
    const res = await speak(plain, { input: 'refused' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    expect((await ledgerOf('speaker')).length).toBe(billed);
  });
});
