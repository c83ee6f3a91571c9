// Server-side conversations through the openai SDK: 25 turns on one conversation keep the upstream input
// within the window (oldest turns summarised by the summary model), and concurrent turns are all kept.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TURNS, SUMMARISED_TURNS } from '../../shared/use-cases/chat/conversation-history.ts';
import { startChatStack, type ChatStack } from './harness.ts';

let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack({ emulator: { chunkDelayMs: 0, replyTokens: 12 } });
});
afterAll(async () => stack?.close());

describe('conversations', () => {
  it('carries 25 turns on one conversation while the upstream input stays within the window', async () => {
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'unused', maxRetries: 0, defaultHeaders: { 'X-Conversation-Id': 'conv-25-turns' } });
    const before = stack.upstream.length;
    for (let turn = 1; turn <= 25; turn++) {
      const messages = [
        { role: 'system' as const, content: 'You are terse.' },
        { role: 'user' as const, content: `Turn ${turn}: tell me one fact.` },
      ];
      if (turn % 2) {
        const r = await client.chat.completions.create({ model: 'qwen-plus', messages });
        expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
      } else {
        let text = '';
        for await (const c of await client.chat.completions.create({ model: 'qwen-plus', messages, stream: true })) text += c.choices[0]?.delta.content ?? '';
        expect(text.length).toBeGreaterThan(0);
      }
    }
    const calls = stack.upstream.slice(before);
    const answers = calls.filter((c) => c.body.model === 'qwen-plus');
    const summaries = calls.filter((c) => c.body.model === stack.config.CHAT_SUMMARY_MODEL);
    expect(answers).toHaveLength(25);
    expect(summaries).toHaveLength(1);
    const sizes = answers.map((c) => c.body.messages!.length);
    // system prompt + up to MAX_TURNS turns of two messages + the new question
    expect(Math.max(...sizes)).toBe(1 + 2 * MAX_TURNS + 1);
    // the first request past MAX_TURNS folded the oldest turns into one summary message
    expect(sizes[MAX_TURNS + 1]).toBe(1 + 1 + 2 * (MAX_TURNS + 1 - SUMMARISED_TURNS) + 1);
    expect(answers[MAX_TURNS + 1]!.body.messages![1]).toMatchObject({ role: 'system', content: expect.stringContaining('Summary of the earlier part') });
    // the latest question is last, and the history before it is the previous turns in order
    const lastMessages = answers[24]!.body.messages as { role: string; content: string }[];
    expect(lastMessages.at(-1)).toEqual({ role: 'user', content: 'Turn 25: tell me one fact.' });
    expect(lastMessages.at(-3)).toEqual({ role: 'user', content: 'Turn 24: tell me one fact.' });

    const stored = await stack.deps.conversations.get('local/conv-25-turns');
    expect(stored?.summary?.length).toBeGreaterThan(0);
    expect(stored?.turns.map((t) => t.messages[0]?.content)).toEqual(Array.from({ length: 10 }, (_, i) => `Turn ${i + 16}: tell me one fact.`));
    expect(stored?.turns.every((t) => t.messages[1]?.role === 'assistant' && typeof t.messages[1].content === 'string')).toBe(true);
    // the summary call is billed to the conversation's tenant like the answers
    const ledger = (await stack.deps.guards.listLedger({ from: new Date(0), to: new Date(Date.now() + 60_000), limit: 1_000 })).entries;
    expect(ledger.filter((e) => e.model === stack.config.CHAT_SUMMARY_MODEL)).toEqual([expect.objectContaining({ tenant: 'local', kind: 'chat', costMicros: expect.any(Number) })]);
    expect(ledger.filter((e) => e.model === 'qwen-plus').length).toBeGreaterThanOrEqual(25);
  });

  it('keeps every turn when requests on one conversation run concurrently, and echoes the conversation id', async () => {
    const ask = (i: number) =>
      fetch(`${stack.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'qwen-plus', conversation_id: 'conv-parallel', messages: [{ role: 'user', content: `parallel ${i}` }], stream: i % 2 === 0 }),
      });
    const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => ask(i)));
    for (const r of responses) {
      expect(r.status).toBe(200);
      expect(r.headers.get('x-conversation-id')).toBe('conv-parallel');
      await r.text();
    }
    const stored = await stack.deps.conversations.get('local/conv-parallel');
    expect(stored?.turns.map((t) => t.messages[0]?.content).sort()).toEqual(Array.from({ length: 6 }, (_, i) => `parallel ${i}`));
  });

  it('refuses a conversation id that differs between body and header', async () => {
    const r = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-conversation-id': 'one' },
      body: JSON.stringify({ model: 'qwen-plus', conversation_id: 'two', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: { code: 'conflicting_conversation_id' } });
  });
});
