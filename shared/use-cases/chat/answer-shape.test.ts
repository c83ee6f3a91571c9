import { describe, expect, it } from 'vitest';
import type { ChatChunk, ChatCompletion } from '../../ports/chat-upstream.ts';
import { completeChoices, completionForClient, lacksFinishReason, withoutNullUsage } from './answer-shape.ts';

describe('answer shapes', () => {
  it("turns DashScope's tool-calling message (content \"\", an index on each call) into OpenAI's (content null, no index)", () => {
    // the shape of DashScope's recorded non-streamed tool call
    const c = {
      id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'qwen3-max',
      choices: [{ index: 0, finish_reason: 'tool_calls', logprobs: null, message: { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', type: 'function', index: 0, function: { name: 'weather', arguments: '{}' } }] } }],
    } as unknown as ChatCompletion;
    const out = completionForClient(c);
    expect(out.choices[0]!.message.content).toBeNull();
    expect(out.choices[0]!.message.tool_calls![0]).toEqual({ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{}' } });
  });

  it('leaves a plain answer, and text beside tool calls, as they are', () => {
    const plain = { choices: [{ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', content: '' } }] } as unknown as ChatCompletion;
    expect(completionForClient(plain).choices[0]!.message.content).toBe('');
    const said = { choices: [{ index: 0, finish_reason: 'tool_calls', logprobs: null, message: { role: 'assistant', content: 'Looking it up.', tool_calls: [] } }] } as unknown as ChatCompletion;
    expect(completionForClient(said).choices[0]!.message.content).toBe('Looking it up.');
  });

  it('gives every choice of a chunk a null finish_reason where it had none', () => {
    const chunk = { id: 'x', created: 1, model: 'm', choices: [{ index: 0, delta: {} }, { index: 1, delta: {}, finish_reason: 'stop' }] } as ChatChunk;
    expect(completeChoices(chunk)).toBe(true);
    expect(chunk.choices.map((c) => c.finish_reason)).toEqual([null, 'stop']);
    expect(completeChoices(chunk)).toBe(false);
  });

  it('cuts a null usage out of a chunk text, wherever it sits, and nothing else', () => {
    expect(withoutNullUsage('{"choices":[],"usage":null,"id":"a"}')).toBe('{"choices":[],"id":"a"}');
    expect(withoutNullUsage('{"choices":[], "usage": null}')).toBe('{"choices":[]}');
    expect(withoutNullUsage('{"usage":null,"choices":[]}')).toBe('{"choices":[]}');
    // usage that carries figures is kept, and so is text that only talks about usage
    expect(withoutNullUsage('{"choices":[],"usage":{"total_tokens":3}}')).toBe('{"choices":[],"usage":{"total_tokens":3}}');
    const talk = JSON.stringify({ choices: [{ delta: { content: ',"usage":null,' } }] });
    expect(withoutNullUsage(talk)).toBe(talk);
  });

  it('tells a chunk text without a finish_reason key, not fooled by generated text', () => {
    expect(lacksFinishReason('{"choices":[{"index":0,"delta":{}}]}')).toBe(true);
    expect(lacksFinishReason('{"choices":[{"index":0,"finish_reason":null}]}')).toBe(false);
    expect(lacksFinishReason(JSON.stringify({ choices: [{ delta: { content: '"finish_reason"' } }] }))).toBe(true);
  });
});
