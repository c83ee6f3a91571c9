import { describe, expect, it } from 'vitest';
import { requireModel } from '../../catalog/catalog.ts';
import { ChatRequestError } from './chat-errors.ts';
import { planChat } from './chat-plan.ts';
import { chatRequestSchema, type ChatRequest } from './chat-request.ts';

const req = (over: Record<string, unknown>): ChatRequest =>
  chatRequestSchema.parse({ model: 'qwen-plus', messages: [{ role: 'user', content: 'hi' }], ...over });
const chat = (id: string) => requireModel(id, 'chat');
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e as ChatRequestError;
  }
  throw new Error('expected a refusal');
};

describe('planChat', () => {
  it('keeps an optional-thinking model quiet unless asked, and says so upstream', () => {
    expect(planChat(chat('qwen-plus'), req({}))).toEqual({ thinking: false, assemble: false, upstream: { enable_thinking: false } });
  });

  it('assembles a non-streamed thinking answer on a model that only thinks when streaming', () => {
    const p = planChat(chat('qwen-plus'), req({ enable_thinking: true }));
    expect(p).toMatchObject({ thinking: true, assemble: true, upstream: { enable_thinking: true } });
    expect(planChat(chat('qwen-plus'), req({ enable_thinking: true, stream: true })).assemble).toBe(false);
  });

  it('asks qwen3-max for thinking without streaming, as DashScope answers it directly', () => {
    expect(planChat(chat('qwen3-max'), req({ model: 'qwen3-max', enable_thinking: true }))).toMatchObject({ thinking: true, assemble: false });
  });

  it('maps reasoning_effort onto thinking and a budget within the model maximum', () => {
    expect(planChat(chat('qwen-plus'), req({ reasoning_effort: 'low', stream: true })).upstream).toEqual({ enable_thinking: true, thinking_budget: 4_096 });
    expect(planChat(chat('qwen-plus'), req({ reasoning_effort: 'high', stream: true })).upstream).toEqual({ enable_thinking: true });
    expect(planChat(chat('qwen-plus'), req({ reasoning_effort: 'minimal' })).upstream).toEqual({ enable_thinking: false });
    expect(planChat(chat('qwen3-32b'), req({ model: 'qwen3-32b', reasoning_effort: 'none' })).thinking).toBe(false);
  });

  it('lets an explicit enable_thinking win over reasoning_effort', () => {
    expect(planChat(chat('qwen-plus'), req({ reasoning_effort: 'high', enable_thinking: false })).thinking).toBe(false);
  });

  it('serves JSON mode asked with thinking by turning thinking off, and says why', () => {
    const p = planChat(chat('qwen-plus'), req({ enable_thinking: true, stream: true, response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'reply in json' }] }));
    expect(p).toEqual({ thinking: false, assemble: false, upstream: { enable_thinking: false }, structured: { thinkingOff: 'json_mode' } });
  });

  it('refuses thinking with JSON mode when the deployment says refuse, and always on a model that always thinks', () => {
    const asked = req({ enable_thinking: true, stream: true, response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'reply in json' }] });
    const e = refusal(() => planChat(chat('qwen-plus'), asked, { thinkingConflict: 'refuse' }));
    expect(e).toBeInstanceOf(ChatRequestError);
    expect(e).toMatchObject({ code: 'thinking_with_json_mode', param: 'enable_thinking' });
    const always = 'qwen3-235b-a22b-thinking-2507';
    const tools = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }];
    expect(refusal(() => planChat(chat(always), req({ model: always, stream: true, tools, tool_choice: 'required' })))).toMatchObject({ code: 'thinking_with_forced_tool', param: 'tool_choice' });
  });

  it('switches off default thinking for JSON mode instead of refusing, whatever the setting', () => {
    const p = planChat(chat('qwen3-32b'), req({ model: 'qwen3-32b', response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'JSON please' }] }), { thinkingConflict: 'refuse' });
    expect(p).toEqual({ thinking: false, assemble: false, upstream: { enable_thinking: false }, structured: { thinkingOff: 'json_mode' } });
  });

  it("adds an instruction to json_object without the word 'json' in the messages instead of refusing", () => {
    expect(planChat(chat('qwen-plus'), req({ response_format: { type: 'json_object' } })).structured).toEqual({ instruction: 'Answer in JSON.' });
    expect(planChat(chat('qwen-plus'), req({ response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'as Json' }] })).structured).toBeUndefined();
  });

  it('refuses thinking on a model that cannot think and switching it off on one that always thinks', () => {
    expect(refusal(() => planChat(chat('qwen-max'), req({ model: 'qwen-max', enable_thinking: true })))).toMatchObject({ code: 'thinking_not_supported' });
    expect(planChat(chat('qwen-max'), req({ model: 'qwen-max' })).upstream).toEqual({});
    const always = 'qwen3-235b-a22b-thinking-2507';
    expect(refusal(() => planChat(chat(always), req({ model: always, enable_thinking: false })))).toMatchObject({ code: 'thinking_required' });
  });

  it('refuses a thinking budget above the model maximum', () => {
    expect(refusal(() => planChat(chat('qwen-plus'), req({ enable_thinking: true, stream: true, thinking_budget: 100_000 })))).toMatchObject({
      code: 'invalid_thinking_budget',
      param: 'thinking_budget',
    });
  });

  it('serves a forced tool choice asked with thinking without thinking, and refuses tools on a model without them', () => {
    const tools = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }];
    for (const tool_choice of ['required', { type: 'function', function: { name: 'weather' } }]) {
      const p = planChat(chat('qwen-plus'), req({ enable_thinking: true, stream: true, tools, tool_choice }));
      expect(p).toMatchObject({ thinking: false, upstream: { enable_thinking: false }, structured: { thinkingOff: 'forced_tool' } });
    }
    expect(planChat(chat('qwen-plus'), req({ enable_thinking: true, stream: true, tools, tool_choice: 'auto' })).thinking).toBe(true);
    expect(refusal(() => planChat(chat('qwen-plus'), req({ enable_thinking: true, stream: true, tools, tool_choice: 'required' }), { thinkingConflict: 'refuse' }))).toMatchObject({ code: 'thinking_with_forced_tool' });
    expect(refusal(() => planChat(chat('qwen-turbo-longcontext'), req({ model: 'qwen-turbo-longcontext', tools })))).toMatchObject({ code: 'tools_not_supported' });
  });
});
