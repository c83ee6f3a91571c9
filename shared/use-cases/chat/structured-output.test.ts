import { describe, expect, it } from 'vitest';
import { requireModel } from '../../catalog/catalog.ts';
import type { ChatCompletion } from '../../ports/chat-upstream.ts';
import { planChat } from './chat-plan.ts';
import { chatRequestSchema, type ChatRequest } from './chat-request.ts';
import { buildUpstreamBody } from './chat-upstream-body.ts';
import { adjustmentsOf, checkCompletion, JSON_INSTRUCTION, planStructured, replayChunks, withInstruction } from './structured-output.ts';

const req = (over: Record<string, unknown>): ChatRequest => chatRequestSchema.parse({ model: 'qwen-plus', messages: [{ role: 'user', content: 'Tell me about owls' }], ...over });
const plus = requireModel('qwen-plus', 'chat');
const citySchema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
const jsonSchema = (schema: unknown = citySchema) => ({ type: 'json_schema', json_schema: { name: 'city', schema } });
const completion = (content: string | null, finish = 'stop'): ChatCompletion => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'qwen-plus',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finish, logprobs: null }],
  usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
});

describe('structured output upstream', () => {
  it("sends json_object without the word 'json' with an instruction that has it, as a system prompt first", () => {
    const r = req({ response_format: { type: 'json_object' } });
    const body = buildUpstreamBody(r, planChat(plus, r), r.messages, false);
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body.messages).toEqual([{ role: 'system', content: JSON_INSTRUCTION }, { role: 'user', content: 'Tell me about owls' }]);
    expect(JSON_INSTRUCTION).toMatch(/json/i);
  });

  it('joins the instruction to a system prompt the client sent, text or parts, and leaves the client messages alone', () => {
    const msgs = chatRequestSchema.parse({ model: 'qwen-plus', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] }).messages;
    expect(withInstruction(msgs, 'X')[0]).toEqual({ role: 'system', content: 'Be brief.\n\nX' });
    expect(msgs[0]).toEqual({ role: 'system', content: 'Be brief.' });
    const parts = chatRequestSchema.parse({ model: 'qwen-plus', messages: [{ role: 'developer', content: [{ type: 'text', text: 'Be brief.' }] }] }).messages;
    expect(withInstruction(parts, 'X')[0]).toEqual({ role: 'developer', content: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'X' }] });
  });

  it('serves json_schema as json_object with the schema in the instructions where the model does not enforce schemas', () => {
    const r = req({ response_format: jsonSchema() });
    const plan = planChat(plus, r);
    const body = buildUpstreamBody(r, plan, r.messages, false);
    expect(body.response_format).toEqual({ type: 'json_object' });
    const system = (body.messages[0] as { role: string; content: string });
    expect(system.role).toBe('system');
    expect(system.content).toContain(JSON.stringify(citySchema));
    expect(system.content).toMatch(/JSON schema/);
    expect(adjustmentsOf(plan.structured)).toEqual({ jsonInstruction: true, schema: 'checked' });
  });

  it('passes json_schema on untouched where the catalogue says the model enforces it', () => {
    const r = req({ response_format: jsonSchema() });
    const enforcing = { ...plus, jsonSchema: true };
    const plan = planChat(enforcing, r);
    expect(buildUpstreamBody(r, plan, r.messages, false)).toMatchObject({ response_format: jsonSchema(), messages: r.messages });
    expect(adjustmentsOf(plan.structured)).toEqual({ jsonInstruction: false, schema: 'upstream' });
  });

  it('serves json_schema without a schema as plain JSON mode, checking nothing', () => {
    const r = req({ response_format: { type: 'json_schema', json_schema: { name: 'free' } } });
    expect(planStructured(plus, r)).toEqual({ responseFormat: { type: 'json_object' }, instruction: JSON_INSTRUCTION });
  });

  it('asks nothing of a plain request', () => {
    expect(planStructured(plus, req({}))).toBeUndefined();
    expect(adjustmentsOf(undefined)).toBeUndefined();
  });
});

describe('checking and replaying an answer', () => {
  const check = planStructured(plus, req({ response_format: jsonSchema() }))!.check!;

  it('passes a matching answer and names the failing path of another', () => {
    expect(checkCompletion(completion('{"city":"Hangzhou"}'), check)).toBeUndefined();
    expect(checkCompletion(completion('{"city":5}'), check)).toMatchObject({ choice: 0, path: '$.city' });
    expect(checkCompletion(completion(null), check)).toMatchObject({ path: '$', message: 'the answer is empty' });
    expect(checkCompletion(completion('{"city":', 'length'), check)?.message).toMatch(/cut off by max_tokens/);
  });

  it('lets a choice that calls a tool through unchecked, and replays the call', () => {
    const calling = completion(null, 'tool_calls');
    calling.choices[0]!.message.tool_calls = [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Hangzhou"}' } }];
    expect(checkCompletion(calling, check)).toBeUndefined();
    const chunks = replayChunks(calling, false);
    expect(chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? [])).toEqual([{ index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Hangzhou"}' } }]);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('replays a whole answer as role, content pieces and finish chunks, with usage only when asked', () => {
    const text = JSON.stringify({ city: 'x'.repeat(150) });
    const chunks = replayChunks(completion(text), false);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(text);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.every((c) => c.id === 'chatcmpl-1' && c.object === 'chat.completion.chunk')).toBe(true);
    const withUsage = replayChunks(completion(text), true);
    expect(withUsage.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: 12 } });
  });
});
