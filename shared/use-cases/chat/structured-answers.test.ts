// The chat use case serving structured output against a scripted DashScope: the body sent upstream, the
// check of each answer, the one retry and its bill, the replay to a streaming client, the adjustments told.
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { SqliteConversationStore } from '../../adapters/sqlite/sqlite-conversation-store.ts';
import { SqliteGuardStore } from '../../adapters/sqlite/sqlite-guard-store.ts';
import { loadConfig } from '../../config/config.ts';
import type { Principal } from '../../domain/tenant.ts';
import { silentLogger } from '../../log/logger.ts';
import type { ChatChunk, ChatCompletion, ChatUpstream, UpstreamChatBody } from '../../ports/chat-upstream.ts';
import { systemClock, uuidIds } from '../../ports/clock.ts';
import { createGuard } from '../guards/guard.ts';
import { RateLimitedError } from '../guards/guard-errors.ts';
import { StructuredOutputError } from './chat-errors.ts';
import { chatRequestSchema } from './chat-request.ts';
import { createChatCompletion } from './create-chat-completion.ts';
import type { ChatStreamSink } from './stream-relay.ts';
import type { ChatAdjustments } from './structured-output.ts';

const citySchema = { type: 'object', properties: { city: { type: 'string' }, population: { type: 'integer' } }, required: ['city', 'population'], additionalProperties: false };
const answer = (content: string, n: number): ChatCompletion => ({
  id: `chatcmpl-${n}`,
  object: 'chat.completion',
  created: 1,
  model: 'qwen-plus',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 1_000, completion_tokens: 500, total_tokens: 1_500 },
});

/** A DashScope that answers whole completions from a list, and records each body it was sent. */
function scriptedDeps(answers: string[], env: Record<string, string> = {}) {
  const bodies: UpstreamChatBody[] = [];
  const dashscope: ChatUpstream = {
    chat: async (body) => {
      bodies.push(structuredClone(body));
      const content = answers[bodies.length - 1];
      if (content === undefined) throw new Error('more calls than scripted');
      return { completion: answer(content, bodies.length), requestId: `rid-${bodies.length}` };
    },
    chatRelay: () => Promise.reject(new Error('a checked schema is never relayed')),
    embed: () => Promise.reject(new Error('not called')),
  };
  const db = new Database(':memory:');
  const guards = new SqliteGuardStore(db);
  const config = loadConfig(env);
  const guard = createGuard({ guards, events: { publish: async () => {} }, clock: systemClock, logger: silentLogger, config });
  return { deps: { dashscope, conversations: new SqliteConversationStore(db), guards, guard, clock: systemClock, ids: uuidIds, logger: silentLogger, config }, bodies, guards };
}

const ledger = async (guards: SqliteGuardStore) => (await guards.listLedger({ from: new Date(0), to: new Date(Date.now() + 60_000), limit: 10 })).entries;

const acme: Principal = { tenant: 'acme', role: 'app', limits: {}, budgets: {} };
function ctx(over: { sink?: ChatStreamSink; principal?: Principal } = {}) {
  const told: ChatAdjustments[] = [];
  return { told, ctx: { principal: over.principal ?? acme, requestId: 'req-1', signal: new AbortController().signal, startedAt: performance.now(), onAdjusted: (a: ChatAdjustments) => void told.push({ ...a }), ...(over.sink ? { sink: over.sink } : {}) } };
}
const schemaReq = (over: Record<string, unknown> = {}) =>
  chatRequestSchema.parse({ model: 'qwen-plus', messages: [{ role: 'user', content: 'Tell me about Hangzhou' }], response_format: { type: 'json_schema', json_schema: { name: 'city', schema: citySchema } }, ...over });

function recordingSink() {
  const events: string[] = [];
  const chunks: ChatChunk[] = [];
  const sink: ChatStreamSink = {
    open: () => void events.push('open'),
    forward: (c) => void chunks.push(c.chunk),
    send: (c) => void chunks.push(c),
    flush: () => void events.push(`flush:${chunks.length}`),
    done: () => void events.push('done'),
    fail: (e) => void events.push(`fail:${(e as { code?: string }).code}`),
  };
  return { sink, events, chunks };
}

describe('createChatCompletion with response_format json_schema served by JSON mode', () => {
  it('sends JSON mode with the schema in the instructions and answers a matching first answer as it is', async () => {
    const { deps, bodies } = scriptedDeps(['{"city":"Hangzhou","population":12000000}']);
    const { ctx: c, told } = ctx();
    const out = await createChatCompletion(deps, schemaReq(), c);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.response_format).toEqual({ type: 'json_object' });
    expect((bodies[0]!.messages[0] as { content: string }).content).toContain(JSON.stringify(citySchema));
    expect(out.completion?.choices[0]?.message.content).toBe('{"city":"Hangzhou","population":12000000}');
    expect(told.at(-1)).toEqual({ jsonInstruction: true, schema: 'checked', attempts: 1 });
  });

  it('asks once more after an answer that does not match, and bills both calls', async () => {
    const { deps, bodies, guards } = scriptedDeps(['{"city":"Hangzhou","population":"many"}', '{"city":"Hangzhou","population":12000000}']);
    const { ctx: c, told } = ctx();
    const out = await createChatCompletion(deps, schemaReq(), c);
    expect(bodies).toHaveLength(2);
    expect(out.completion?.id).toBe('chatcmpl-2');
    expect(out.dashscopeRequestId).toBe('rid-2');
    expect(told.at(-1)).toMatchObject({ attempts: 2 });
    // one ledger entry per upstream call, each with its own DashScope request id
    await vi.waitFor(async () => expect(await ledger(guards)).toHaveLength(2));
    expect((await ledger(guards)).map((e) => e.ref).sort()).toEqual(['rid-1', 'rid-2']);
  });

  it('refuses with the failing path when the second answer does not match either, billed twice', async () => {
    const { deps, bodies, guards } = scriptedDeps(['not json at all', '{"city":"Hangzhou","population":1.5}']);
    const err = await createChatCompletion(deps, schemaReq(), ctx().ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StructuredOutputError);
    expect(err).toMatchObject({ code: 'json_schema_mismatch', path: '$.population', attempts: 2, dashscopeRequestId: 'rid-2' });
    expect((err as Error).message).toMatch(/json_schema 'city' after 2 attempts: at \$\.population/);
    expect(bodies).toHaveLength(2);
    await vi.waitFor(async () => expect(await ledger(guards)).toHaveLength(2));
  });

  it('reserves budget for the schema the layer adds to the prompt', async () => {
    const { deps } = scriptedDeps(['{"city":"Hangzhou","population":1}']);
    const admitted: number[] = [];
    const admit = deps.guard.admit.bind(deps.guard);
    const guard = { ...deps.guard, admit: (d: Parameters<typeof admit>[0]) => (admitted.push(d.costMicros), admit(d)) };
    const long = { ...citySchema, description: 'x'.repeat(20_000) };
    await createChatCompletion({ ...deps, guard }, schemaReq(), ctx().ctx);
    await createChatCompletion({ ...deps, guard }, schemaReq({ response_format: { type: 'json_schema', json_schema: { name: 'city', schema: long } } }), ctx().ctx).catch(() => undefined);
    // qwen-plus input: 0.8 micro-CNY a token; the bound counts a token per character
    expect(admitted[1]! - admitted[0]!).toBeGreaterThanOrEqual(20_000 * 0.8);
  });

  it('admits the retry through the guards like any call: a tenant out of requests gets no second call', async () => {
    const { deps, bodies } = scriptedDeps(['{"city":1}', '{"city":"Hangzhou","population":1}']);
    const limited: Principal = { ...acme, tenant: 'limited', limits: { rpm: 1 } };
    const err = await createChatCompletion(deps, schemaReq(), ctx({ principal: limited }).ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(bodies).toHaveLength(1);
  });

  it('streams a checked answer: nothing is sent before the check, then the answer replayed as chunks', async () => {
    const { deps, bodies } = scriptedDeps(['{"city":"Hangzhou","population":"x"}', '{"city":"Hangzhou","population":12000000}']);
    const { sink, events, chunks } = recordingSink();
    const { ctx: c, told } = ctx({ sink });
    const out = await createChatCompletion(deps, schemaReq({ stream: true, stream_options: { include_usage: true } }), c);
    expect(bodies.map((b) => b.stream)).toEqual([false, false]);
    expect(events[0]).toBe('open');
    expect(events.at(-1)).toBe('done');
    expect(chunks.map((ch) => ch.choices[0]?.delta?.content ?? '').join('')).toBe('{"city":"Hangzhou","population":12000000}');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: 1_500 } });
    expect(out.end).toBe('completed');
    // the head goes out after the attempts are known, so the client is told how many were made
    expect(told.at(-1)).toMatchObject({ attempts: 2 });
  });

  it('saves the checked answer as the conversation turn, never the one that missed, and no instruction', async () => {
    const { deps, bodies } = scriptedDeps(['{"city":"Hangzhou"}', '{"city":"Hangzhou","population":12000000}']);
    const { ctx: c } = ctx();
    await createChatCompletion(deps, schemaReq({ conversation_id: 'trip' }), c);
    const turns = (await deps.conversations.get('acme/trip'))?.turns ?? [];
    expect(turns).toHaveLength(1);
    expect(turns[0]!.messages).toEqual([
      { role: 'user', content: 'Tell me about Hangzhou' },
      { role: 'assistant', content: '{"city":"Hangzhou","population":12000000}' },
    ]);
    // both attempts were sent the same messages: the instruction upstream, the client's own after it
    expect(bodies[1]!.messages).toEqual(bodies[0]!.messages);
  });

  it('ends a streamed request with an error answer, never a stream, when both answers miss the schema', async () => {
    const { deps } = scriptedDeps(['{}', '{}']);
    const { sink, events } = recordingSink();
    const err = await createChatCompletion(deps, schemaReq({ stream: true }), ctx({ sink }).ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'json_schema_mismatch', path: '$.city' });
    expect(events).toEqual([]);
  });
});

describe('createChatCompletion with thinking and structured output', () => {
  it('serves JSON mode asked with thinking without thinking, and tells why', async () => {
    const { deps, bodies } = scriptedDeps(['{"a":1}']);
    const { ctx: c, told } = ctx();
    const out = await createChatCompletion(deps, chatRequestSchema.parse({ model: 'qwen3-max', enable_thinking: true, response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'Tell me about owls' }] }), c);
    expect(bodies[0]).toMatchObject({ enable_thinking: false, response_format: { type: 'json_object' } });
    expect(bodies[0]!.messages[0]).toEqual({ role: 'system', content: 'Answer in JSON.' });
    expect(out.thinking).toBe(false);
    expect(told).toEqual([{ jsonInstruction: true, thinkingOff: 'json_mode' }]);
  });

  it('refuses instead when CHAT_THINKING_CONFLICT=refuse, calling nothing upstream', async () => {
    const { deps, bodies } = scriptedDeps([]);
    const r = chatRequestSchema.parse({ model: 'qwen3-max', enable_thinking: true, response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'json' }] });
    const { deps: refusing } = scriptedDeps([], { CHAT_THINKING_CONFLICT: 'refuse' });
    await expect(createChatCompletion({ ...refusing, dashscope: deps.dashscope }, r, ctx().ctx)).rejects.toMatchObject({ code: 'thinking_with_json_mode' });
    expect(bodies).toEqual([]);
  });
});
