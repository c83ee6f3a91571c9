import { describe, expect, it } from 'vitest';
import type { ChatChunk } from '../../ports/chat-upstream.ts';
import { CompletionAssembler } from './completion-assembler.ts';

const token = (t: string) => ({ token: t, logprob: -0.5, bytes: [...Buffer.from(t)], top_logprobs: [] });
const chunk = (choice: Record<string, unknown>): ChatChunk => ({ id: 'chatcmpl-1', created: 1, model: 'qwen-plus', choices: [{ index: 0, ...choice }] });

describe('CompletionAssembler', () => {
  it('joins the log probabilities of a streamed answer in order, as one logprobs.content', () => {
    const a = new CompletionAssembler();
    a.add(chunk({ delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }));
    a.add(chunk({ delta: { content: 'Hel' }, logprobs: { content: [token('Hel')] }, finish_reason: null }));
    a.add(chunk({ delta: { content: 'lo' }, logprobs: { content: [token('lo')] }, finish_reason: null }));
    a.add(chunk({ delta: { content: '' }, logprobs: null, finish_reason: 'stop' }));
    const choice = a.completion().choices[0]!;
    expect(choice.message.content).toBe('Hello');
    expect(choice.logprobs).toEqual({ content: [token('Hel'), token('lo')] });
  });

  it('answers logprobs null when DashScope sent none', () => {
    const a = new CompletionAssembler();
    a.add(chunk({ delta: { content: 'Hi' }, logprobs: null, finish_reason: 'stop' }));
    expect(a.completion().choices[0]!.logprobs).toBeNull();
  });

  it('makes the content of a tool-calling message null even when DashScope streamed an empty string', () => {
    const a = new CompletionAssembler();
    a.add(chunk({ delta: { role: 'assistant', content: '' }, finish_reason: null }));
    a.add(chunk({ delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] }, finish_reason: null }));
    a.add(chunk({ delta: {}, finish_reason: 'tool_calls' }));
    expect(a.completion().choices[0]!.message).toEqual({ role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] });
  });
});
