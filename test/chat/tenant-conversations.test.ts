// Conversations belong to the tenant whose key started them: another tenant naming the same conversation id
// (header or body) gets a fresh conversation of its own, with none of the first one's history, which stays whole.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatStack, type ChatStack } from './harness.ts';

// two clients' keys (obviously fake): CLIENT_API_KEYS makes them the tenants key-1 and key-2
const KEY_A = 'test-client-key-aaaaaaaaaaaaaaaa';
const KEY_B = 'test-client-key-bbbbbbbbbbbbbbbb';

let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack({ emulator: { chunkDelayMs: 0, replyTokens: 8 }, env: { CLIENT_API_KEYS: `${KEY_A},${KEY_B}` } });
});
afterAll(async () => stack?.close());

async function ask(key: string, content: string, conversation: { header?: string; body?: string }, stream = false) {
  const res = await fetch(`${stack.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...(conversation.header ? { 'x-conversation-id': conversation.header } : {}) },
    body: JSON.stringify({ model: 'qwen-plus', messages: [{ role: 'user', content }], stream, ...(conversation.body ? { conversation_id: conversation.body } : {}) }),
  });
  const text = await res.text();
  expect(res.status).toBe(200);
  return { headers: res.headers, text, sent: stack.upstream.at(-1)!.body.messages as { role: string; content: string }[] };
}

describe('conversations per tenant', () => {
  it("gives a second tenant using the first tenant's conversation id a fresh conversation, and leaves the first one's whole", async () => {
    await ask(KEY_A, 'A1: my secret is 42', { header: 'shared-conv' });
    const a2 = await ask(KEY_A, 'A2: and my second one', { header: 'shared-conv' });
    expect(a2.sent.map((m) => m.content)).toEqual(['A1: my secret is 42', expect.any(String), 'A2: and my second one']);

    // the same id, through the header and through the body, streamed or not: none of A's history upstream
    const b1 = await ask(KEY_B, 'B1: hello', { header: 'shared-conv' });
    expect(b1.sent).toEqual([{ role: 'user', content: 'B1: hello' }]);
    expect(b1.headers.get('x-conversation-id')).toBe('shared-conv');
    const b2 = await ask(KEY_B, 'B2: again', { body: 'shared-conv' }, true);
    expect(b2.sent.map((m) => m.content)).toEqual(['B1: hello', expect.any(String), 'B2: again']);
    expect(b2.text).not.toContain('my secret');

    // A's conversation has only A's turns, and A's next request still sees them
    const a3 = await ask(KEY_A, 'A3: still there?', { body: 'shared-conv' });
    expect(a3.sent.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['A1: my secret is 42', 'A2: and my second one', 'A3: still there?']);
    const stored = await stack.deps.conversations.get('key-1/shared-conv');
    expect(stored?.turns.map((t) => t.messages[0]?.content)).toEqual(['A1: my secret is 42', 'A2: and my second one', 'A3: still there?']);
    expect((await stack.deps.conversations.get('key-2/shared-conv'))?.turns).toHaveLength(2);
    expect(await stack.deps.conversations.get('shared-conv')).toBeUndefined();
  });

  it("counts no prompt tokens of the first tenant's history for the second", async () => {
    const usage = async (key: string, content: string) => {
      const res = await fetch(`${stack.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-conversation-id': 'tokens-conv' },
        body: JSON.stringify({ model: 'qwen-plus', messages: [{ role: 'user', content }] }),
      });
      return ((await res.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
    };
    const long = 'a long question with many words in it '.repeat(20);
    const first = await usage(KEY_A, long);
    const withHistory = await usage(KEY_A, 'short');
    const otherTenant = await usage(KEY_B, 'short');
    expect(withHistory).toBeGreaterThan(first);
    expect(otherTenant).toBeLessThan(first);
  });

  it('logs the tenant on each request line, never the key', () => {
    const lines = stack.requestLogs().filter((l) => l.path === '/v1/chat/completions');
    expect(new Set(lines.map((l) => l.tenant))).toEqual(new Set(['key-1', 'key-2']));
    for (const line of stack.logLines) expect(line.includes(KEY_A) || line.includes(KEY_B)).toBe(false);
  });
});
