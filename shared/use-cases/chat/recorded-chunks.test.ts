// Replays DashScope's recorded streams (test/support/recordings.ts) through the tool-call
// repair and the completion assembler.
import { beforeEach, describe, expect, it } from 'vitest';
import { needRecordings, readRecording, recordedLines } from '../../../test/support/recordings.ts';
import type { ChatChunk, ChatCompletion } from '../../ports/chat-upstream.ts';
import { completionForClient } from './answer-shape.ts';
import { CompletionAssembler } from './completion-assembler.ts';
import { createToolCallFixer } from './tool-call-deltas.ts';

const chunks = (name: string): ChatChunk[] => recordedLines(`${name}.chunks.txt`).map((l) => JSON.parse(l) as ChatChunk);

describe('recorded DashScope streams', () => {
  beforeEach((ctx) => needRecordings(ctx));

  it('repairs the recorded tool-call deltas into OpenAI form: id, type and name once, then arguments only', () => {
    const recorded = chunks('alibaba-tool-call');
    expect(recorded.some((c) => c.choices[0]?.delta?.tool_calls?.some((t) => t.id === ''))).toBe(true);
    const fix = createToolCallFixer();
    const deltas = recorded.flatMap((c) => {
      fix(c);
      return c.choices.flatMap((ch) => ch.delta?.tool_calls ?? []);
    });
    expect(deltas[0]).toMatchObject({ index: 0, id: 'call_eee11723464a4b9eb8cee71d', type: 'function', function: { name: 'weather', arguments: '' } });
    for (const later of deltas.slice(1)) {
      expect(later).not.toHaveProperty('id');
      expect(later).not.toHaveProperty('type');
      expect(later.function).not.toHaveProperty('name');
    }
    expect(JSON.parse(deltas.map((d) => d.function?.arguments ?? '').join(''))).toEqual({ location: 'San Francisco' });
  });

  it('assembles the recorded tool-call stream into one call with its id, name, arguments and usage', () => {
    const a = new CompletionAssembler();
    for (const c of chunks('alibaba-tool-call')) a.add(c);
    const done = a.completion();
    expect(done.choices).toHaveLength(1);
    expect(done.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_eee11723464a4b9eb8cee71d', type: 'function', function: { name: 'weather' } }] },
    });
    expect(JSON.parse(done.choices[0]!.message.tool_calls![0]!.function.arguments)).toEqual({ location: 'San Francisco' });
    expect(done.usage).toMatchObject({ prompt_tokens: 295, completion_tokens: 22, total_tokens: 317 });
  });

  it("answers the recorded non-streamed tool call in OpenAI's shape: content null, no index on the call", () => {
    const recorded = JSON.parse(readRecording('alibaba-tool-call.json')) as ChatCompletion;
    expect(recorded.choices[0]!.message.content).toBe('');
    const message = completionForClient(recorded).choices[0]!.message;
    expect(message.content).toBeNull();
    expect(message.tool_calls![0]).not.toHaveProperty('index');
    expect(message.tool_calls![0]).toMatchObject({ id: 'call_962bfd2ab8f54b89a1161356', type: 'function', function: { name: 'weather' } });
  });

  it('assembles the recorded thinking stream into reasoning_content, content and the usage chunk', () => {
    const recorded = chunks('alibaba-reasoning');
    const a = new CompletionAssembler();
    for (const c of recorded) a.add(c);
    const done = a.completion();
    const reasoning = recorded.map((c) => c.choices[0]?.delta?.reasoning_content ?? '').join('');
    const content = recorded.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(reasoning.length).toBeGreaterThan(0);
    expect(content.length).toBeGreaterThan(0);
    expect(done).toMatchObject({ object: 'chat.completion', id: recorded[0]!.id, model: 'qwen3-max' });
    expect(done.choices[0]).toMatchObject({ finish_reason: 'stop', message: { role: 'assistant', content, reasoning_content: reasoning } });
    expect(done.usage).toEqual(recorded.at(-1)!.usage);
    expect(a.finished).toBe(true);
  });

  it('leaves a plain recorded text stream untouched by the tool-call repair', () => {
    const recorded = chunks('alibaba-text');
    const before = JSON.stringify(recorded);
    const fix = createToolCallFixer();
    for (const c of recorded) fix(c);
    expect(JSON.stringify(recorded)).toBe(before);
  });
});

describe('tool-call repair without recordings', () => {
  it('makes up an id when the first delta has none, keeps a late first name, and separates choices', () => {
    const fix = createToolCallFixer(() => 'call_made_up');
    const chunk = (choice: number, t: Record<string, unknown>): ChatChunk => ({ id: 'x', created: 1, model: 'm', choices: [{ index: choice, delta: { tool_calls: [t as never] } }] });
    const a = chunk(0, { index: 0, id: '', function: { name: null, arguments: '' } });
    const b = chunk(0, { index: 0, id: '', function: { name: 'lookup', arguments: '{' } });
    const c = chunk(0, { index: 0, id: 'call_real', function: { name: 'lookup', arguments: '}' } });
    const d = chunk(1, { index: 0, id: 'call_other', function: { name: 'other', arguments: '' } });
    for (const x of [a, b, c, d]) fix(x);
    const first = (x: ChatChunk) => x.choices[0]!.delta!.tool_calls![0]!;
    expect(first(a)).toEqual({ index: 0, id: 'call_made_up', type: 'function', function: { arguments: '' } });
    expect(first(b)).toEqual({ index: 0, function: { name: 'lookup', arguments: '{' } });
    expect(first(c)).toEqual({ index: 0, function: { arguments: '}' } });
    expect(first(d)).toMatchObject({ id: 'call_other', function: { name: 'other' } });
  });
});
