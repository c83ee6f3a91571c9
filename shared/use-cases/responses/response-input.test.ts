import { describe, expect, it } from 'vitest';
import type { CompletionMessage } from '../../ports/chat-upstream.ts';
import { itemIdsOf, parseItemId } from './response-ids.ts';
import { ResponseNotFoundError } from './response-errors.ts';
import { LimitExceededError } from '../../validation/request-errors.ts';
import { MAX_REFERENCED_RESPONSES, toChatMessages } from './response-input.ts';
import { parseResponsesRequest, type ResponsesRequest } from './responses-request.ts';

const stored: Record<string, CompletionMessage> = {
  resp_abc: { role: 'assistant', content: 'stored answer', tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
};
const lookup = async (id: string) => stored[id];
const input = (items: unknown[]) => parseResponsesRequest({ model: 'qwen-plus', input: items }).input as ResponsesRequest['input'];

describe('item ids', () => {
  it('name the response they came from, and nothing for an id we never made', () => {
    const ids = itemIdsOf('resp_abc');
    expect([ids.reasoning, ids.message, ids.functionCall(2)]).toEqual(['rs_abc', 'msg_abc', 'fc_abc_2']);
    expect(parseItemId('fc_abc_2')).toEqual({ responseId: 'resp_abc', kind: 'function_call', index: 2 });
    expect(parseItemId('msg_abc')).toEqual({ responseId: 'resp_abc', kind: 'message', index: 0 });
    expect(parseItemId('fc_abc')).toBeUndefined();
    expect(parseItemId('ws_abc')).toBeUndefined();
  });
});

describe('toChatMessages', () => {
  it('joins function calls to the assistant message before them and turns outputs into tool messages', async () => {
    const messages = await toChatMessages(
      input([
        { role: 'user', content: [{ type: 'input_text', text: 'look at ' }, { type: 'input_image', image_url: 'https://example.test/a.png', detail: 'low' }] },
        { role: 'assistant', content: 'Calling two tools.' },
        { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
        { type: 'function_call', call_id: 'c2', name: 'g', arguments: '{"x":1}' },
        { type: 'reasoning', id: 'rs_zzz', summary: [] },
        { type: 'function_call_output', call_id: 'c1', output: 'one' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'two' }] },
        { type: 'function_call', call_id: 'c3', name: 'f', arguments: '{}' },
      ]),
      lookup,
    );
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'look at ' }, { type: 'image_url', image_url: { url: 'https://example.test/a.png', detail: 'low' } }] },
      {
        role: 'assistant',
        content: 'Calling two tools.',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } },
          { id: 'c2', type: 'function', function: { name: 'g', arguments: '{"x":1}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'one' },
      { role: 'tool', tool_call_id: 'c2', content: 'two' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c3', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    ]);
  });

  it('resolves references to a stored message, function call and reasoning; refuses one it cannot find', async () => {
    const messages = await toChatMessages(input([{ type: 'item_reference', id: 'rs_abc' }, { type: 'item_reference', id: 'msg_abc' }, { type: 'item_reference', id: 'fc_abc_0' }]), lookup);
    expect(messages).toEqual([{ role: 'assistant', content: 'stored answer', tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }]);
    for (const id of ['fc_abc_1', 'msg_other', 'nothing']) {
      const err = await toChatMessages(input([{ role: 'user', content: 'hi' }, { type: 'item_reference', id }]), lookup).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResponseNotFoundError);
      expect(err).toMatchObject({ code: 'item_not_found', param: 'input.1.id' });
    }
  });

  it(`refuses references to more than ${MAX_REFERENCED_RESPONSES} responses before reading the one past the bound`, async () => {
    let reads = 0;
    const counting = async (id: string) => {
      reads++;
      return id.length > 0 ? { role: 'assistant' as const, content: 'x' } : undefined;
    };
    const refs = Array.from({ length: MAX_REFERENCED_RESPONSES + 1 }, (_, k) => ({ type: 'item_reference', id: `msg_r${k}` }));
    const err = await toChatMessages(input(refs), counting).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LimitExceededError);
    expect(err).toMatchObject({ code: 'too_many_item_references', param: `input.${MAX_REFERENCED_RESPONSES}.id` });
    expect(reads).toBe(MAX_REFERENCED_RESPONSES);
  });
});
