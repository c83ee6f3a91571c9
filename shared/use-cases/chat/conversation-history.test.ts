import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { SqliteConversationStore } from '../../adapters/sqlite/sqlite-conversation-store.ts';
import { loadConfig } from '../../config/config.ts';
import { createLogger } from '../../log/logger.ts';
import type { ChatUpstream, UpstreamChatBody } from '../../ports/chat-upstream.ts';
import { uuidIds } from '../../ports/clock.ts';
import type { ChatMessage } from './chat-request.ts';
import { MAX_TURNS, SUMMARISED_TURNS, openConversation } from './conversation-history.ts';

interface SummaryCall {
  model: string;
  messages: { role: string; content: string }[];
}

function setup(summarise: (call: SummaryCall) => string = () => 'SUMMARY') {
  const db = new Database(':memory:');
  const calls: SummaryCall[] = [];
  const logs: string[] = [];
  const notCalled = () => Promise.reject(new Error('not called in these tests'));
  const dashscope: ChatUpstream = {
    chat: async (sent: UpstreamChatBody) => {
      const body: SummaryCall & Record<string, unknown> = { ...sent, messages: sent.messages as SummaryCall['messages'] };
      calls.push(body);
      const message = { role: 'assistant' as const, content: summarise(body) };
      return {
        requestId: 'rid-summary',
        completion: { id: 'chatcmpl-s', object: 'chat.completion', created: 0, model: body.model, choices: [{ index: 0, message, finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 } },
      };
    },
    chatRelay: notCalled,
    embed: notCalled,
  };
  const deps = {
    conversations: new SqliteConversationStore(db),
    clock: { now: () => new Date('2026-03-01T00:00:00Z') },
    ids: uuidIds,
    logger: createLogger('info', {}, (l) => logs.push(l)),
    dashscope,
    config: loadConfig({ CHAT_SUMMARY_MODEL: 'qwen-turbo' }),
  };
  return { deps, calls, logs, close: () => db.close() };
}

const user = (content: string): ChatMessage => ({ role: 'user', content });
const signal = new AbortController().signal;

describe('openConversation', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it('puts the system prompt, the history and the new message in order, and appends the answer as one turn', async () => {
    const s = setup();
    close = s.close;
    const first = await openConversation(s.deps, { tenant: 't', id: 'c1' }, [{ role: 'system', content: 'be brief' }, user('one')], signal);
    expect(first.messages).toEqual([{ role: 'system', content: 'be brief' }, user('one')]);
    await first.save({ role: 'assistant', content: 'answer one' });
    const second = await openConversation(s.deps, { tenant: 't', id: 'c1' }, [{ role: 'system', content: 'be brief' }, user('two')], signal);
    expect(second.messages).toEqual([{ role: 'system', content: 'be brief' }, user('one'), { role: 'assistant', content: 'answer one' }, user('two')]);
    expect(second.historyTurns).toBe(1);
  });

  it('saves the history read plus the new turn under another id when asked (saveAs), leaving the one read as it was', async () => {
    const s = setup();
    close = s.close;
    const first = await openConversation(s.deps, { tenant: 't', id: 'r1' }, [user('one')], signal);
    await first.save({ role: 'assistant', content: 'answer one' });
    const branch = await openConversation(s.deps, { tenant: 't', id: 'r1' }, [{ role: 'system', content: 'be brief' }, user('two')], signal, { saveAs: { tenant: 't', id: 'r2' } });
    expect(branch.id).toBe('r2');
    await branch.save({ role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] });
    expect((await s.deps.conversations.get('t/r1'))?.turns.map((t) => t.messages.length)).toEqual([2]);
    const saved = await s.deps.conversations.get('t/r2');
    expect(saved?.turns.map((t) => t.messages.map((m) => m.role))).toEqual([['user', 'assistant'], ['user', 'assistant']]);
    expect(saved?.turns[1]?.messages[1]).toEqual({ role: 'assistant', content: null, tool_calls: [expect.objectContaining({ id: 'call_1' })] });

    const readOnly = await openConversation(s.deps, { tenant: 't', id: 'r2' }, [user('three')], signal, { readOnly: true });
    expect(readOnly.messages).toHaveLength(5);
    await readOnly.save({ role: 'assistant', content: 'kept nowhere' });
    expect((await s.deps.conversations.get('t/r2'))?.version).toBe(1);
  });

  it(`summarises the oldest ${SUMMARISED_TURNS} turns once past ${MAX_TURNS}, keeping the input bounded over 25 turns`, async () => {
    const s = setup((call) => `summary of ${call.messages[1]!.content.split('\n').filter((l) => l.startsWith('user:')).length} user lines`);
    close = s.close;
    const sizes: number[] = [];
    for (let i = 1; i <= 25; i++) {
      const session = await openConversation(s.deps, { tenant: 't', id: 'long' }, [user(`question ${i}`)], signal);
      sizes.push(session.messages.length);
      await session.save({ role: 'assistant', content: `answer ${i}` });
    }
    expect(s.calls).toHaveLength(1);
    expect(s.calls[0]!.model).toBe('qwen-turbo');
    expect(s.calls[0]).toMatchObject({ enable_thinking: false });
    expect(s.calls[0]!.messages[1]!.content).toContain('user: question 1\n');
    expect(s.calls[0]!.messages[1]!.content).toContain('user: question 15\n');
    expect(s.calls[0]!.messages[1]!.content).not.toContain('question 16');
    expect(Math.max(...sizes)).toBe(2 * MAX_TURNS + 1);
    // request 22 found 21 turns: 15 folded into the summary, 6 kept
    expect(sizes[21]).toBe(1 + 2 * 6 + 1);
    const stored = await s.deps.conversations.get('t/long');
    expect(stored?.summary).toBe('summary of 15 user lines');
    expect(stored?.turns.map((t) => t.messages[0]!.content)).toEqual(Array.from({ length: 10 }, (_, i) => `question ${i + 16}`));
    const last = await openConversation(s.deps, { tenant: 't', id: 'long' }, [user('question 26')], signal);
    expect(last.messages[0]).toEqual({ role: 'system', content: 'Summary of the earlier part of this conversation:\nsummary of 15 user lines' });
  });

  it('loses no turn when many requests on one conversation save at once', async () => {
    const s = setup();
    close = s.close;
    const sessions = await Promise.all(Array.from({ length: 6 }, (_, i) => openConversation(s.deps, { tenant: 't', id: 'busy' }, [user(`q${i}`)], signal)));
    await Promise.all(sessions.map((x, i) => x.save({ role: 'assistant', content: `a${i}` })));
    const stored = await s.deps.conversations.get('t/busy');
    expect(stored?.turns.map((t) => t.messages[0]!.content).sort()).toEqual(['q0', 'q1', 'q2', 'q3', 'q4', 'q5']);
    expect(stored?.turns.every((t) => t.messages.length === 2)).toBe(true);
  });

  it('keeps the whole history and logs a warning when the summary model fails', async () => {
    const s = setup(() => {
      throw new Error('summary model down');
    });
    close = s.close;
    for (let i = 1; i <= MAX_TURNS + 1; i++) {
      const session = await openConversation(s.deps, { tenant: 't', id: 'sturdy' }, [user(`q${i}`)], signal);
      await session.save({ role: 'assistant', content: `a${i}` });
    }
    const next = await openConversation(s.deps, { tenant: 't', id: 'sturdy' }, [user('next')], signal);
    expect(next.historyTurns).toBe(MAX_TURNS + 1);
    expect(s.logs.some((l) => l.includes('conversation summary failed'))).toBe(true);
  });

  it('applies a summary once when two requests summarise the same turns concurrently', async () => {
    const s = setup();
    close = s.close;
    for (let i = 1; i <= MAX_TURNS + 1; i++) {
      const session = await openConversation(s.deps, { tenant: 't', id: 'race' }, [user(`q${i}`)], signal);
      await session.save({ role: 'assistant', content: `a${i}` });
    }
    const [a, b] = await Promise.all([openConversation(s.deps, { tenant: 't', id: 'race' }, [user('x')], signal), openConversation(s.deps, { tenant: 't', id: 'race' }, [user('y')], signal)]);
    expect(a.historyTurns).toBe(MAX_TURNS + 1 - SUMMARISED_TURNS);
    expect(b.historyTurns).toBe(MAX_TURNS + 1 - SUMMARISED_TURNS);
    const stored = await s.deps.conversations.get('t/race');
    expect(stored?.turns.map((t) => t.messages[0]!.content)).toEqual(['q16', 'q17', 'q18', 'q19', 'q20', 'q21']);
  });
});
