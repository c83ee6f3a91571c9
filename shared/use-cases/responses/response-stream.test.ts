import { describe, expect, it } from 'vitest';
import type { ChatChunk } from '../../ports/chat-upstream.ts';
import { responseShell, type ResponseObject } from './response-object.ts';
import { ResponseStreamTranslator, type ResponseEvent } from './response-stream.ts';

function translator() {
  const sent: ResponseEvent[] = [];
  const failures: { error: unknown; sequence: number; response: ResponseObject }[] = [];
  let ended = false;
  const t = new ResponseStreamTranslator(
    { open: () => undefined, event: (e) => sent.push(e), flush: () => undefined, end: () => (ended = true), fail: (error, sequence, response) => failures.push({ error, sequence, response }) },
    responseShell('resp_t1', 1_700_000_000, { model: 'qwen-plus', input: 'hi' }, 'qwen-plus'),
  );
  return { t, sent, failures, ended: () => ended };
}

const chunk = (delta: NonNullable<ChatChunk['choices'][number]['delta']>, finish: string | null = null): ChatChunk => ({ id: 'c', created: 0, model: 'qwen-plus', choices: [{ index: 0, delta, finish_reason: finish }] });

describe('ResponseStreamTranslator', () => {
  it('turns parallel tool-call deltas into one function_call item each, closed in order at the end', () => {
    const { t, sent, ended } = translator();
    t.open({});
    t.send(chunk({ tool_calls: [{ index: 0, id: 'call_a', function: { name: 'f', arguments: '{"x"' } }] }));
    t.send(chunk({ tool_calls: [{ index: 1, id: 'call_b', function: { name: 'g', arguments: '{}' } }] }));
    t.send(chunk({ tool_calls: [{ index: 0, id: '', function: { arguments: ':1}' } }] }, 'tool_calls'));
    t.send({ id: 'c', created: 0, model: 'qwen-plus', choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } });
    t.done();
    const final = t.complete();
    expect(ended()).toBe(true);
    expect(sent.map((e) => e.sequence_number)).toEqual(sent.map((_, i) => i));
    expect(sent.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(final.output).toEqual([
      { id: 'fc_t1_0', type: 'function_call', call_id: 'call_a', name: 'f', arguments: '{"x":1}', status: 'completed' },
      { id: 'fc_t1_1', type: 'function_call', call_id: 'call_b', name: 'g', arguments: '{}', status: 'completed' },
    ]);
    expect(final.usage).toEqual({ input_tokens: 5, input_tokens_details: { cached_tokens: 0 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 12 });
    // the item as added is the one at that moment, not the finished one
    expect(sent[2]).toMatchObject({ item: { arguments: '', status: 'in_progress' } });
  });

  it('ends a cut-off answer with response.incomplete and a failure with response.failed numbered next', () => {
    const a = translator();
    a.t.open({});
    a.t.send(chunk({ content: 'Once upon' }, 'length'));
    a.t.done();
    expect(a.t.complete()).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [{ type: 'message', status: 'incomplete' }] });
    expect(a.sent.at(-1)?.type).toBe('response.incomplete');

    const b = translator();
    b.t.open({});
    b.t.send(chunk({ reasoning_content: 'hmm' }));
    b.t.fail(new Error('broken'));
    b.t.fail(new Error('again'));
    expect(b.failures).toHaveLength(1);
    expect(b.failures[0]).toMatchObject({ sequence: b.sent.length, response: { status: 'failed', id: 'resp_t1' } });
  });
});
