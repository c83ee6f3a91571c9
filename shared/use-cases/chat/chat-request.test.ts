import { describe, expect, it } from 'vitest';
import { validate } from '../../http/body.ts';
import { planChat } from './chat-plan.ts';
import { chatRequestSchema } from './chat-request.ts';
import { buildUpstreamBody } from './chat-upstream-body.ts';
import { requireModel } from '../../catalog/catalog.ts';

const parse = (body: unknown) => validate(chatRequestSchema, body);
const refusal = (body: unknown) => {
  try {
    parse(body);
  } catch (e) {
    return e as { statusCode: number; message: string; extra: { param?: string } };
  }
  throw new Error('expected a refusal');
};

describe('chat request schema', () => {
  it('refuses an unknown role, naming the message', () => {
    const e = refusal({ model: 'qwen-plus', messages: [{ role: 'wizard', content: 'hi' }] });
    expect(e.statusCode).toBe(400);
    expect(e.message).toContain('messages.0.role');
  });

  it('refuses wrong types, naming the field', () => {
    expect(refusal({ model: 'qwen-plus', messages: [{ role: 'user', content: 'hi' }], temperature: 'hot' }).extra.param).toBe('temperature');
    expect(refusal({ model: 'qwen-plus', messages: [] }).extra.param).toBe('messages');
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
