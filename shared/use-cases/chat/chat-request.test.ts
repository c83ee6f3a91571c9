import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { validate } from '../../validation/validate.ts';
import { planChat } from './chat-plan.ts';
import { chatRequestSchema, commonChatRequest } from './chat-request.ts';
import { buildUpstreamBody } from './chat-upstream-body.ts';
import { requireModel } from '../../catalog/catalog.ts';

const parse = (body: unknown) => validate(chatRequestSchema, body);
const refusal = (body: unknown) => {
  try {
    parse(body);
  } catch (e) {
    return e as InvalidRequestError;
  }
  throw new Error('expected a refusal');
};

describe('chat request schema', () => {
  it('refuses an unknown role, naming the message', () => {
    const e = refusal({ model: 'qwen-plus', messages: [{ role: 'wizard', content: 'hi' }] });
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e.message).toContain('messages.0.role');
  });

  it('refuses wrong types, naming the field', () => {
    expect(refusal({ model: 'qwen-plus', messages: [{ role: 'user', content: 'hi' }], temperature: 'hot' }).param).toBe('temperature');
    expect(refusal({ model: 'qwen-plus', messages: [] }).param).toBe('messages');
    expect(refusal({ model: 'qwen-plus', messages: [{ role: 'tool', content: 'x' }] }).message).toContain('tool_call_id');
  });

  it('passes DashScope extras through to the upstream body and drops our own fields', () => {
    const req = parse({
      model: 'qwen-plus',
      messages: [{ role: 'developer', content: 'be brief' }, { role: 'user', content: 'hi' }],
      enable_search: true,
      search_options: { forced_search: true },
      top_k: 20,
      user: 'u-1',
      conversation_id: 'c-1',
      max_completion_tokens: 64,
      stream: true,
      stream_options: { include_usage: false },
      temperature: null,
    });
    const body = buildUpstreamBody(req, planChat(requireModel('qwen-plus', 'chat'), req), req.messages, true);
    expect(body).toEqual({
      model: 'qwen-plus',
      messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }],
      enable_search: true,
      search_options: { forced_search: true },
      top_k: 20,
      max_tokens: 64,
      enable_thinking: false,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('asks for no usage on a non-streamed upstream call', () => {
    const req = parse({ model: 'qwen-max', messages: [{ role: 'user', content: 'hi' }] });
    expect(buildUpstreamBody(req, planChat(requireModel('qwen-max', 'chat'), req), req.messages, false)).toEqual({
      model: 'qwen-max',
      messages: [{ role: 'user', content: 'hi' }],
      stream: false,
    });
  });
});

describe('commonChatRequest (the hand-checked shortcut for common requests)', () => {
  /** A small deterministic PRNG, so a failure names a reproducible case. */
  function rng(seed: number) {
    // mulberry32
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
  }
  const pick = <T,>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  /** Per field: values the schema accepts, then values it refuses or that are unusual. */
  const fields: Record<string, [readonly unknown[], readonly unknown[]]> = {
    stream: [[true, false, null], ['true', 0]],
    enable_thinking: [[true, false, null], [1]],
    stream_options: [[{ include_usage: true }, { include_usage: null }, {}, null], [{ include_usage: 'yes' }, { other: 1 }, [], 'x']],
    temperature: [[0, 1.3, 1.999, 2, null], [2.01, -0.1, '1', Number.NaN, Number.POSITIVE_INFINITY]],
    top_p: [[0.5, 1, null], [0, 1.01, Number.NaN]],
    max_tokens: [[1, 64, null], [0, -1, 1.5, 2 ** 53, '64']],
    top_k: [[20], [-1]],
    tools: [[[]], ['x']],
    user: [['u'], [1]],
  };
  const common = [{ role: 'user', content: 'hi' }, { role: 'system', content: 'be brief' }, { role: 'developer', content: 'x', name: 'dev' }, { role: 'assistant', content: 'ok' }];
  const unusual = [
    { role: 'assistant', content: null },
    { role: 'assistant', content: 'x', tool_calls: [] },
    { role: 'user', content: [{ type: 'text', text: 'hi' }] },
    { role: 'user', content: 'hi', name: null },
    { role: 'user', content: 'hi', extra: 1 },
    { role: 'tool', content: 'x', tool_call_id: 't1' },
    { role: 'tool', content: 'x' },
    { role: 'wizard', content: 'x' },
    { role: 'user' },
    'hi',
    null,
  ];
  const body = (r: () => number): Record<string, unknown> => {
    const b: Record<string, unknown> = {};
    const roll = r();
    if (roll < 0.9) b.model = pick(r, ['qwen-plus', 'x']);
    else if (roll < 0.95) b.model = pick(r, ['', 1, null]);
    for (const [key, [good, bad]] of Object.entries(fields)) {
      const x = r();
      if (x < 0.25) b[key] = pick(r, good);
      else if (x < 0.3) b[key] = pick(r, bad);
    }
    const m = r();
    if (m < 0.92) b.messages = Array.from({ length: pick(r, [0, 1, 1, 2, 3]) }, () => (r() < 0.9 ? pick(r, common) : pick(r, unusual)));
    else if (m < 0.96) b.messages = 'hi';
    return b;
  };

  it('says yes only where the schema says yes, with the same request; a good share of common bodies takes it', () => {
    const r = rng(42);
    let shortcut = 0;
    for (let i = 0; i < 20_000; i++) {
      const b = body(r);
      const fast = commonChatRequest(b);
      if (fast === undefined) continue;
      shortcut++;
      const z = chatRequestSchema.safeParse(b);
      expect(z.success, JSON.stringify(b)).toBe(true);
      expect(fast, JSON.stringify(b)).toEqual(z.data);
    }
    expect(shortcut).toBeGreaterThan(1_000);
  });

  it('takes what SDKs usually send, and leaves everything else to the schema', () => {
    const common = { model: 'qwen-plus', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }] };
    expect(commonChatRequest(common)).toBe(common);
    expect(commonChatRequest({ ...common, stream: true, stream_options: { include_usage: true }, temperature: 0.7, top_p: 0.9, max_tokens: 100, enable_thinking: false })).toBeDefined();
    for (const other of [
      { ...common, tools: [] },
      { ...common, response_format: { type: 'json_object' } },
      { ...common, conversation_id: 'c-1' },
      { ...common, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] },
      { ...common, messages: [] },
      { model: 'qwen-plus' },
      { messages: common.messages },
      [common],
      null,
      'x',
      Object.assign(Object.create({ inherited: 1 }) as object, common),
      JSON.parse('{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"__proto__":{"x":1}}'),
    ]) {
      expect(commonChatRequest(other), JSON.stringify(other)).toBeUndefined();
    }
  });
});
