// The chat use case against a scripted DashScope stream: what the sink is told in each ending.
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { SqliteConversationStore } from '../../adapters/sqlite/sqlite-conversation-store.ts';
import { loadConfig } from '../../config/config.ts';
import { SqliteGuardStore } from '../../adapters/sqlite/sqlite-guard-store.ts';
import type { Principal } from '../../domain/tenant.ts';
import { createGuard } from '../guards/guard.ts';
import { RelayChunk, type RelayStream } from '../../dashscope/chat-chunks.ts';
import { DashScopeStreamError } from '../../dashscope/errors.ts';
import { silentLogger } from '../../log/logger.ts';
import { systemClock, uuidIds } from '../../ports/clock.ts';
import type { ChatChunk, ChatUpstream } from '../../ports/chat-upstream.ts';
import { chatRequestSchema } from './chat-request.ts';
import { createChatCompletion } from './create-chat-completion.ts';
import type { ChatStreamSink } from './stream-relay.ts';

const chunk = (delta: Record<string, unknown>, finish: string | null = null): ChatChunk => ({
  id: 'chatcmpl-1',
  created: 1,
  model: 'qwen-plus',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

/** The scripted chunks pushed as the client's relay stream pushes them: one read per chunk, as read off the wire. */
function scripted(script: () => AsyncGenerator<ChatChunk>): RelayStream {
  return {
    async pump(onRead) {
      for await (const c of script()) await onRead([RelayChunk.fromText(JSON.stringify(c))]);
    },
  };
}

const notCalled = () => Promise.reject(new Error('not called in these tests'));
const relaying = (stream: RelayStream): ChatUpstream => ({ chat: notCalled, embed: notCalled, chatRelay: async () => ({ requestId: 'rid-1', stream }) });

function depsStreaming(script: () => AsyncGenerator<ChatChunk>) {
  const dashscope = relaying(scripted(script));
  const db = new Database(':memory:');
  const guards = new SqliteGuardStore(db);
  const config = loadConfig({});
  const guard = createGuard({ guards, events: { publish: async () => {} }, clock: systemClock, logger: silentLogger, config });
  return {
    dashscope,
    conversations: new SqliteConversationStore(db),
    guards,
    guard,
    clock: systemClock,
    ids: uuidIds,
    logger: silentLogger,
    config,
  };
}

const ledger = async (deps: ReturnType<typeof depsStreaming>) => (await deps.guards.listLedger({ from: new Date(0), to: new Date(Date.now() + 60_000), limit: 10 })).entries;

const contentOf = (c: { choices: { delta?: { content?: string | null } | null }[] }) => c.choices[0]?.delta?.content ?? '';

function recordingSink() {
  const events: string[] = [];
  const sink: ChatStreamSink = {
    open: () => void events.push('open'),
    forward: (c) => void events.push(`chunk:${contentOf(c.chunk)}`),
    send: (c) => void events.push(`chunk:${contentOf(c)}`),
    flush: () => undefined,
    done: () => void events.push('done'),
    fail: (e) => void events.push(`fail:${(e as { code?: string }).code}`),
  };
  return { sink, events };
}

const streamReq = (over: Record<string, unknown> = {}) =>
  chatRequestSchema.parse({ model: 'qwen-plus', messages: [{ role: 'user', content: 'hi' }], stream: true, ...over });
const acme: Principal = { tenant: 'acme', role: 'app', limits: {}, budgets: {} };
let requests = 0;
const ctx = (sink: ChatStreamSink, conversationId?: string) => ({ principal: acme, requestId: `req-${++requests}`, signal: new AbortController().signal, startedAt: performance.now(), sink, conversationId });

describe('createChatCompletion (streamed)', () => {
  it('relays the chunks and ends with done when upstream finishes', async () => {
    const deps = depsStreaming(async function* () {
      yield chunk({ role: 'assistant', content: '' });
      yield chunk({ content: 'Hello' });
      yield chunk({}, 'stop');
    });
    const { sink, events } = recordingSink();
    const out = await createChatCompletion(deps, streamReq(), ctx(sink));
    expect(events).toEqual(['open', 'chunk:', 'chunk:Hello', 'chunk:', 'done']);
    expect(out).toMatchObject({ end: 'completed', dashscopeRequestId: 'rid-1', ttftMs: expect.any(Number) });
  });

  it('forwards each read\'s chunks as DashScope wrote them, in one flush per read, and times the first token at the first text', async () => {
    const text = (delta: Record<string, unknown>, finish: string | null = null) => JSON.stringify(chunk(delta, finish));
    const reads = [
      [text({ role: 'assistant', content: '' })],
      [text({ content: '' })],
      [text({ reasoning_content: '"quoted" thought' }), text({ content: 'Hello' })],
      [text({}, 'stop')],
    ];
    // when each read was handed over, to bound the time to first token without timing anything
    const handedAt: number[] = [];
    const stream: RelayStream = {
      async pump(onRead) {
        for (const read of reads) {
          handedAt.push(performance.now());
          await onRead(read.map((json) => RelayChunk.fromText(json)));
        }
        handedAt.push(performance.now());
      },
    };
    const deps = { ...depsStreaming(async function* () {}), dashscope: relaying(stream) };
    // what the client would get: the text of every chunk, one write per flush
    const writes: string[][] = [];
    let pending: string[] = [];
    const sink: ChatStreamSink = {
      open: () => undefined,
      forward: (c) => void pending.push(c.json),
      send: (c) => void pending.push(JSON.stringify(c)),
      flush: () => void (writes.push(pending), (pending = [])),
      done: () => undefined,
      fail: () => undefined,
    };
    const started = performance.now();
    const out = await createChatCompletion(deps, streamReq(), { ...ctx(sink), startedAt: started });
    expect(writes).toEqual(reads);
    // the role chunk and an empty content chunk are not the first token; the reasoning chunk of the third read is
    expect(out.ttftMs).toBeGreaterThanOrEqual(handedAt[2]! - started);
    expect(out.ttftMs).toBeLessThanOrEqual(handedAt[3]! - started);
  });

  it('never ends silently: a stream that stops without a finish reason ends with an error event', async () => {
    const deps = depsStreaming(async function* () {
      yield chunk({ role: 'assistant', content: '' });
      yield chunk({ content: 'Hel' });
    });
    const { sink, events } = recordingSink();
    const out = await createChatCompletion(deps, streamReq(), ctx(sink));
    expect(events.at(-1)).toBe('fail:stream_truncated');
    expect(events).not.toContain('done');
    expect(out).toMatchObject({ end: 'failed', errorCode: 'stream_truncated' });
  });

  it('ends with an error event carrying the upstream code when the stream breaks after the first chunk', async () => {
    const deps = depsStreaming(async function* () {
      yield chunk({ role: 'assistant', content: '' });
      throw new DashScopeStreamError('stream_interrupted', 'the DashScope stream broke off before its end', { requestId: 'rid-1' });
    });
    const { sink, events } = recordingSink();
    const out = await createChatCompletion(deps, streamReq(), ctx(sink));
    expect(events).toEqual(['open', 'chunk:', 'fail:stream_interrupted']);
    expect(out.end).toBe('failed');
  });

  it('does not save a conversation turn when the stream fails', async () => {
    const deps = depsStreaming(async function* () {
      yield chunk({ role: 'assistant', content: 'partial' });
      throw new DashScopeStreamError('stream_interrupted', 'broke', {});
    });
    const { sink } = recordingSink();
    await createChatCompletion(deps, streamReq(), ctx(sink, 'conv-fail'));
    expect(await deps.conversations.get('acme/conv-fail')).toBeUndefined();
  });

  it('saves the turn before telling the client the stream is done', async () => {
    const deps = depsStreaming(async function* () {
      yield chunk({ role: 'assistant', content: 'Hi' });
      yield chunk({}, 'stop');
    });
    let turnsAtDone: Promise<number> | undefined;
    const sink: ChatStreamSink = {
      open: () => undefined,
      forward: () => undefined,
      send: () => undefined,
      flush: () => undefined,
      done: () => void (turnsAtDone = deps.conversations.get('acme/conv-ok').then((c) => c?.turns.length ?? 0)),
      fail: () => undefined,
    };
    await createChatCompletion(deps, streamReq(), ctx(sink, 'conv-ok'));
    expect(await turnsAtDone).toBe(1);
    expect((await deps.conversations.get('acme/conv-ok'))?.turns[0]?.messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hi' },
    ]);
  });

  it('bills the call from the usage DashScope reported once the stream is done', async () => {
    const deps = depsStreaming(async function* () {
      yield chunk({ role: 'assistant', content: 'Hi' });
      yield chunk({}, 'stop');
      yield { ...chunk({}), choices: [], usage: { prompt_tokens: 1_000, completion_tokens: 500, total_tokens: 1_500 } };
    });
    let billedAtDone: Promise<unknown[]> | undefined;
    const { sink } = recordingSink();
    const c = ctx({ ...sink, done: () => void (billedAtDone = ledger(deps)) });
    await createChatCompletion(deps, streamReq(), c);
    // the client is not kept waiting for the ledger: the entry is written right after the end of the stream
    expect(await billedAtDone).toEqual([]);
    await new Promise((r) => setImmediate(r));
    // qwen-plus: 1,000 × 0.8 + 500 × 2.0 micro-CNY
    expect(await ledger(deps)).toEqual([expect.objectContaining({ id: expect.stringMatching(/^chat:call_/), tenant: 'acme', model: 'qwen-plus', kind: 'chat', costMicros: 1_800, ref: 'rid-1' })]);
  });

  it('bills nothing for a call DashScope refused before answering', async () => {
    const deps = depsStreaming(async function* () {
      yield* [];
      throw new DashScopeStreamError('stream_interrupted', 'broke', {});
    });
    const { sink } = recordingSink();
    await createChatCompletion(deps, streamReq(), ctx(sink)).catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    expect(await ledger(deps)).toEqual([]);
  });
});
