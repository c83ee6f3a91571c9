import { describe, expect, it } from 'vitest';
import { requireModel } from '../../catalog/catalog.ts';
import { maxOutputTokens } from './chat-billing.ts';
import { planChat } from './chat-plan.ts';
import { chatRequestSchema, type ChatRequest } from './chat-request.ts';
import { buildUpstreamBody } from './chat-upstream-body.ts';
import { adjustedHeader, checkParameters } from './openai-parameters.ts';

const req = (over: Record<string, unknown>): ChatRequest => chatRequestSchema.parse({ model: 'qwen-plus', messages: [{ role: 'user', content: 'hi' }], ...over });
const upstream = (over: Record<string, unknown>) => {
  const r = req(over);
  const model = requireModel(r.model, 'chat');
  const plan = planChat(model, r);
  checkParameters(model, plan, r);
  return buildUpstreamBody(r, plan, r.messages, false);
};
const refusal = (over: Record<string, unknown>) => {
  try {
    upstream(over);
  } catch (e) {
    return e as { code: string; param: string; message: string };
  }
  throw new Error('expected a refusal');
};
const weather = { type: 'function', function: { name: 'weather', parameters: { type: 'object' } } };

describe("OpenAI's parameter ranges on DashScope", () => {
  it("accepts temperature 2, OpenAI's top, and sends DashScope's highest, saying so", () => {
    expect(upstream({ temperature: 2 }).temperature).toBe(1.99);
    expect(adjustedHeader(req({ temperature: 2 }))).toBe('temperature=1.99');
    // every value DashScope takes goes as it is, unannounced
    expect(upstream({ temperature: 1.3 }).temperature).toBe(1.3);
    expect(adjustedHeader(req({ temperature: 1.3 }))).toBeUndefined();
    expect(() => req({ temperature: 2.5 })).toThrow();
  });

  it("maps a seed outside DashScope's [0, 2^31 - 1] onto it, the same seed always to the same value", () => {
    expect(upstream({ seed: 2 ** 31 + 5 }).seed).toBe(5);
    expect(upstream({ seed: -1 }).seed).toBe(2 ** 31 - 1);
    expect(upstream({ seed: 42 }).seed).toBe(42);
    expect(adjustedHeader(req({ seed: -1, temperature: 2 }))).toBe('temperature=1.99, seed=2147483647');
  });

  it('refuses top_logprobs above 5 naming DashScope\'s limit, and top_logprobs without logprobs', () => {
    expect(refusal({ logprobs: true, top_logprobs: 10 })).toMatchObject({ code: 'top_logprobs_out_of_range', param: 'top_logprobs', message: expect.stringContaining('at most 5') });
    expect(refusal({ top_logprobs: 2 })).toMatchObject({ code: 'logprobs_required', param: 'top_logprobs' });
    expect(upstream({ logprobs: true, top_logprobs: 5 })).toMatchObject({ logprobs: true, top_logprobs: 5 });
    expect(() => req({ logprobs: true, top_logprobs: 21 })).toThrow();
  });

  it('refuses n beyond what DashScope serves, naming the limit: 4 on qwen-plus, 1 on qwen-max, 1 with tools or thinking', () => {
    expect(upstream({ n: 4 }).n).toBe(4);
    expect(refusal({ n: 5 })).toMatchObject({ code: 'n_out_of_range', param: 'n', message: expect.stringContaining('at most 4') });
    expect(refusal({ model: 'qwen-max', n: 2 }).message).toContain("at most 1 on model 'qwen-max'");
    expect(refusal({ n: 2, tools: [weather] }).message).toContain('with tools');
    expect(refusal({ n: 2, enable_thinking: true }).message).toContain('while thinking');
  });

  it('allows at most 4 stop sequences', () => {
    expect(upstream({ stop: ['a', 'b', 'c', 'd'] }).stop).toEqual(['a', 'b', 'c', 'd']);
    expect(() => req({ stop: ['a', 'b', 'c', 'd', 'e'] })).toThrow(/at most 4 stop sequences/);
  });

  it('sends max_completion_tokens as max_tokens and refuses the two differing', () => {
    expect(upstream({ max_completion_tokens: 64 })).toMatchObject({ max_tokens: 64 });
    expect(upstream({ max_completion_tokens: 64 })).not.toHaveProperty('max_completion_tokens');
    expect(refusal({ max_tokens: 10, max_completion_tokens: 64 })).toMatchObject({ code: 'conflicting_max_tokens' });
  });

  it("calls tools in parallel unless told not to, as OpenAI does, and sends the switch only with tools", () => {
    expect(upstream({ tools: [weather] }).parallel_tool_calls).toBe(true);
    expect(upstream({ tools: [weather], parallel_tool_calls: false }).parallel_tool_calls).toBe(false);
    expect(upstream({ parallel_tool_calls: true })).not.toHaveProperty('parallel_tool_calls');
  });

  it('accepts user, metadata and store within bounds and sends none of them upstream', () => {
    const body = upstream({ user: 'end-user-7', metadata: { team: 'search' }, store: true });
    for (const k of ['user', 'metadata', 'store']) expect(body).not.toHaveProperty(k);
    expect(() => req({ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) })).toThrow(/at most 16 pairs/);
    expect(() => req({ metadata: { k: 1 } })).toThrow();
    expect(() => req({ user: 'u'.repeat(257) })).toThrow();
  });
});

describe('several answers and the budget reservation', () => {
  it('reserves output for each of the n answers asked for', () => {
    const one = req({ max_tokens: 100 });
    const three = req({ max_tokens: 100, n: 3 });
    const model = requireModel('qwen-plus', 'chat');
    expect(maxOutputTokens(model, three, planChat(model, three))).toBe(3 * maxOutputTokens(model, one, planChat(model, one)));
  });
});
