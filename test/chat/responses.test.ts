// POST /v1/responses over chat-stream (the emulator behind it): text and message input, instructions,
// function tools and their outputs, previous_response_id per tenant, the streamed event sequence, usage,
// reasoning items from thinking, the guards' ledger, and the features refused by name.
import OpenAI from 'openai';
import type { Response, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startChatStack, type ChatStack } from './harness.ts';

// two clients' keys (obviously fake): CLIENT_API_KEYS makes them the tenants key-1 and key-2
const KEY_A = 'test-client-key-aaaaaaaaaaaaaaaa';
const KEY_B = 'test-client-key-bbbbbbbbbbbbbbbb';

let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack({ emulator: { chunkDelayMs: 0, replyTokens: 10 }, env: { CLIENT_API_KEYS: `${KEY_A},${KEY_B}` } });
});
afterAll(async () => stack?.close());

type ApiError = { error: { code: string; message: string; type: string; param?: string; request_id: string } };
type Body = Response & Partial<ApiError> & { store?: boolean };
type Event = ResponseStreamEvent;

async function post(body: unknown, key = KEY_A) {
  const res = await fetch(`${stack.baseURL}/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function json(body: unknown, key = KEY_A) {
  const r = await post(body, key);
  return { status: r.status, body: JSON.parse(r.text) as Body };
}

/** The named events of an SSE body, in order. */
function events(text: string): { event: string; data: Event }[] {
  return text
    .split('\n\n')
    .filter((f) => f.trim() !== '')
    .map((f) => ({ event: /^event: (.*)$/m.exec(f)?.[1] ?? '', data: JSON.parse(/^data: (.*)$/m.exec(f)?.[1] ?? 'null') as Event }));
}

/** The events of one type, typed as such. */
const ofType = <T extends Event['type']>(evs: { data: Event }[], type: T) => evs.map((e) => e.data).filter((d): d is Extract<Event, { type: T }> => d.type === type);
/** The response that ended a stream. */
const finalOf = (evs: { data: Event }[]): Response => {
  const last = evs.at(-1)?.data;
  if (last?.type !== 'response.completed' && last?.type !== 'response.incomplete') throw new Error(`the stream ended with ${last?.type}`);
  return last.response;
};
/** Consecutive repeats folded: the shape of the sequence. */
const shape = (evs: { event: string }[]) => evs.map((e) => e.event).filter((t, i, all) => t !== all[i - 1]);
const textOf = (r: Response): string => {
  const m = r.output.find((o) => o.type === 'message');
  const part = m?.type === 'message' ? m.content[0] : undefined;
  return part?.type === 'output_text' ? part.text : '';
};
const messagesSent = () => stack.upstream.at(-1)?.body.messages as Record<string, unknown>[];

const weather = { type: 'function', name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };

describe('POST /v1/responses', () => {
  it('answers a text input with one message item, usage and ids of its own', async () => {
    const before = stack.upstream.length;
    const { status, body } = await json({ model: 'qwen-plus', input: 'Name a river.', instructions: 'You are terse.' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ object: 'response', status: 'completed', model: 'qwen-plus', instructions: 'You are terse.', store: true, error: null, previous_response_id: null });
    expect(body.id).toMatch(/^resp_/);
    expect(body.output).toEqual([
      { type: 'message', role: 'assistant', status: 'completed', id: expect.stringMatching(/^msg_/), content: [{ type: 'output_text', text: expect.any(String), annotations: [], logprobs: [] }] },
    ]);
    expect(textOf(body).length).toBeGreaterThan(0);
    expect(body.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number), total_tokens: expect.any(Number), output_tokens_details: { reasoning_tokens: 0 } });
    expect(body.usage!.total_tokens).toBe(body.usage!.input_tokens + body.usage!.output_tokens);
    // instructions become the system message in front of the input
    expect(stack.upstream.slice(before).map((c) => c.body.messages)).toEqual([[{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Name a river.' }]]);
  });

  it('maps message items, content parts and the settings to the chat request', async () => {
    const before = stack.upstream.length;
    const { status } = await json({
      model: 'qwen-plus',
      input: [
        { role: 'developer', content: 'Answer in one line.' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello ' }, { type: 'input_text', text: 'there' }] },
      ],
      temperature: 0.5,
      top_p: 0.9,
      max_output_tokens: 40,
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } } } } },
      metadata: { app: 'test' },
    });
    expect(status).toBe(200);
    const sent = stack.upstream[before]!.body;
    // text.format is the chat request's response_format: a json_schema is served as JSON mode with the schema in
    // the system message, as chat completions serve it (no model in the catalogue enforces schemas upstream)
    expect(sent).toMatchObject({
      messages: [{ role: 'system', content: expect.stringMatching(/^Answer in one line\.\n[\s\S]*JSON schema[\s\S]*"properties":\{"a"/) }, { role: 'user', content: 'Hello there' }],
      temperature: 0.5,
      top_p: 0.9,
      max_tokens: 40,
      response_format: { type: 'json_object' },
    });
    expect(sent).not.toHaveProperty('input');
    expect(sent).not.toHaveProperty('metadata');
  });

  it('streams the Responses event sequence, numbered, ending in response.completed with usage', async () => {
    const plain = await json({ model: 'qwen-plus', input: 'Describe the sea.', store: false });
    const r = await post({ model: 'qwen-plus', input: 'Describe the sea.', stream: true });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    const evs = events(r.text);
    expect(evs.every((e) => e.event === e.data.type)).toBe(true);
    expect(evs.map((e) => e.data.sequence_number)).toEqual(evs.map((_, i) => i));
    expect(shape(evs)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const text = ofType(evs, 'response.output_text.delta').map((e) => e.delta).join('');
    expect(text).toBe(textOf(plain.body));
    expect(ofType(evs, 'response.output_text.done')[0]?.text).toBe(text);
    const created = ofType(evs, 'response.created')[0]!.response;
    expect(created).toMatchObject({ status: 'in_progress', output: [] });
    const done = finalOf(evs);
    expect(done).toMatchObject({ status: 'completed', id: created.id, output: [{ type: 'message', status: 'completed', content: [{ type: 'output_text', text }] }] });
    expect(done.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('answers a function tool with a function_call item, and takes its function_call_output back', async () => {
    const before = stack.upstream.length;
    const first = await json({ model: 'qwen-plus', input: 'What is the weather in Paris?', tools: [weather], tool_choice: 'required' });
    expect(first.status).toBe(200);
    const call = first.body.output.find((o) => o.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('no function call');
    expect(call).toMatchObject({ name: 'get_weather', status: 'completed', id: expect.stringMatching(/^fc_/), call_id: expect.any(String) });
    expect(JSON.parse(call.arguments)).toHaveProperty('city');
    expect(stack.upstream[before]!.body).toMatchObject({ tools: [{ type: 'function', function: { name: 'get_weather', parameters: weather.parameters } }], tool_choice: 'required' });

    const second = await json({
      model: 'qwen-plus',
      input: [
        { role: 'user', content: 'What is the weather in Paris?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: '{"temperature": 21}' },
      ],
      tools: [weather],
    });
    expect(second.status).toBe(200);
    expect(second.body.output.at(-1)).toMatchObject({ type: 'message' });
    expect(messagesSent()).toEqual([
      { role: 'user', content: 'What is the weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: call.call_id, type: 'function', function: { name: 'get_weather', arguments: call.arguments } }] },
      { role: 'tool', tool_call_id: call.call_id, content: '{"temperature": 21}' },
    ]);
  });

  it('streams a function call as function_call_arguments deltas', async () => {
    const r = await post({ model: 'qwen-plus', input: 'Weather in Oslo?', tools: [weather], tool_choice: { type: 'function', name: 'get_weather' }, stream: true });
    const evs = events(r.text);
    const added = ofType(evs, 'response.output_item.added')[0]!.item;
    if (added.type !== 'function_call') throw new Error(`added ${added.type}`);
    expect(added).toMatchObject({ name: 'get_weather', arguments: '', status: 'in_progress' });
    const args = ofType(evs, 'response.function_call_arguments.delta').map((e) => e.delta).join('');
    expect(ofType(evs, 'response.function_call_arguments.done')[0]).toMatchObject({ item_id: added.id, arguments: args });
    expect(JSON.parse(args)).toHaveProperty('city');
    expect(finalOf(evs).output).toEqual([expect.objectContaining({ type: 'function_call', arguments: args, call_id: added.call_id, status: 'completed' })]);
  });

  it('continues a stored response with previous_response_id: its input and output go in front, streamed or not', async () => {
    const one = await json({ model: 'qwen-plus', input: 'My name is Ada.', instructions: 'Be kind.' });
    const r2 = await post({ model: 'qwen-plus', input: 'What is my name?', previous_response_id: one.body.id, stream: true });
    expect(r2.status).toBe(200);
    const two = finalOf(events(r2.text));
    expect(two.previous_response_id).toBe(one.body.id);
    // instructions are not carried over (as in OpenAI's API); the conversation is
    expect(messagesSent()).toEqual([
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: textOf(one.body) },
      { role: 'user', content: 'What is my name?' },
    ]);
    const three = await json({ model: 'qwen-plus', input: 'And again?', previous_response_id: two.id, instructions: 'Be brief.' });
    expect(three.status).toBe(200);
    expect(messagesSent().map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(messagesSent()[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(messagesSent()[4]).toEqual({ role: 'assistant', content: textOf(two) });
  });

  it('resolves item_reference items to the stored output they name', async () => {
    const one = await json({ model: 'qwen-plus', input: 'Tell me a fact.' });
    const r = await json({ model: 'qwen-plus', input: [{ role: 'user', content: 'Tell me a fact.' }, { type: 'item_reference', id: one.body.output[0]!.id }, { role: 'user', content: 'Another.' }] });
    expect(r.status).toBe(200);
    expect(messagesSent()).toEqual([
      { role: 'user', content: 'Tell me a fact.' },
      { role: 'assistant', content: textOf(one.body) },
      { role: 'user', content: 'Another.' },
    ]);
    const unknown = await json({ model: 'qwen-plus', input: [{ type: 'item_reference', id: 'msg_nothing' }] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'item_not_found', param: 'input.0.id' });
  });

  it("answers another tenant's response id exactly like an unknown one, and store: false keeps nothing", async () => {
    const a = await json({ model: 'qwen-plus', input: 'A secret: 42.' }, KEY_A);
    const calls = stack.upstream.length;
    const fromB = await json({ model: 'qwen-plus', input: 'What was the secret?', previous_response_id: a.body.id }, KEY_B);
    const unknown = await json({ model: 'qwen-plus', input: 'What was the secret?', previous_response_id: 'resp_0000000000000000' }, KEY_B);
    expect(fromB.status).toBe(404);
    expect(fromB.body.error).toMatchObject({ code: 'response_not_found', param: 'previous_response_id', type: 'not_found_error' });
    expect({ ...fromB.body.error, message: '', request_id: '' }).toEqual({ ...unknown.body.error, message: '', request_id: '' });
    const refB = await json({ model: 'qwen-plus', input: [{ type: 'item_reference', id: a.body.output[0]!.id }] }, KEY_B);
    expect(refB.status).toBe(404);
    // nothing reached DashScope for the refused requests
    expect(stack.upstream.length).toBe(calls);

    const unstored = await json({ model: 'qwen-plus', input: 'Forget me.', store: false });
    expect(unstored.body.store).toBe(false);
    const follow = await json({ model: 'qwen-plus', input: 'Still there?', previous_response_id: unstored.body.id });
    expect(follow.status).toBe(404);
    // store: false with previous_response_id continues without saving the new turn
    const readOnly = await json({ model: 'qwen-plus', input: 'Again?', previous_response_id: a.body.id, store: false });
    expect(readOnly.status).toBe(200);
    expect(messagesSent().map((m) => m.content)).toEqual(['A secret: 42.', textOf(a.body), 'Again?']);
    expect((await json({ model: 'qwen-plus', input: 'x', previous_response_id: readOnly.body.id })).status).toBe(404);
  });

  it('gives reasoning items from a thinking model, streamed and not', async () => {
    const plain = await json({ model: 'qwen-plus', input: 'Is 91 prime?', reasoning: { effort: 'low' } });
    expect(plain.status).toBe(200);
    expect(plain.body.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    const reasoning = plain.body.output[0];
    expect(reasoning).toMatchObject({ id: expect.stringMatching(/^rs_/), summary: [{ type: 'summary_text', text: expect.stringMatching(/./) }] });
    expect(plain.body.usage?.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expect(stack.upstream.at(-1)!.body).toMatchObject({ enable_thinking: true, thinking_budget: 4096 });

    const r = await post({ model: 'qwen-plus', input: 'Is 91 prime?', enable_thinking: true, stream: true });
    const evs = events(r.text);
    expect(shape(evs).slice(2, 8)).toEqual([
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
    ]);
    const final = finalOf(evs);
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    const thought = ofType(evs, 'response.reasoning_summary_text.delta').map((e) => e.delta).join('');
    expect(final.output[0]).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: thought }] });
    // reasoning is not sent back upstream on a follow-up
    await json({ model: 'qwen-plus', input: 'Why?', previous_response_id: final.id });
    expect(messagesSent().some((m) => 'reasoning_content' in m)).toBe(false);
    expect(messagesSent()).toHaveLength(3);
  });

  it('reports max_output_tokens as an incomplete response', async () => {
    const { body } = await json({ model: 'qwen-plus', input: 'Write a long story.', max_output_tokens: 2 });
    expect(body).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [{ type: 'message', status: 'incomplete' }] });
  });

  it('bills each response to its tenant in the ledger, like a chat completion', async () => {
    const since = new Date();
    const logsBefore = stack.requestLogs().length;
    await json({ model: 'qwen-plus', input: 'Count to three.' }, KEY_B);
    await post({ model: 'qwen-plus', input: 'Count to four.', stream: true }, KEY_B);
    // settled once the answer is out: waited for, not timed
    await vi.waitFor(async () => {
      const ledger = (await stack.deps.guards.listLedger({ from: since, to: new Date(Date.now() + 60_000), limit: 100 })).entries;
      expect(ledger.filter((e) => e.tenant === 'key-2' && e.model === 'qwen-plus')).toEqual([
        expect.objectContaining({ kind: 'chat', costMicros: expect.any(Number) }),
        expect.objectContaining({ kind: 'chat', costMicros: expect.any(Number) }),
      ]);
    });
    await stack.logged((l) => l.msg === 'request' && l.stream === true && l.tenant === 'key-2' && l.path === '/v1/responses');
    const lines = stack.requestLogs().slice(logsBefore);
    expect(lines).toEqual([
      expect.objectContaining({ path: '/v1/responses', status: 200, tenant: 'key-2', responseId: expect.stringMatching(/^resp_/), usage: expect.objectContaining({ total: expect.any(Number) }) }),
      expect.objectContaining({ path: '/v1/responses', status: 200, tenant: 'key-2', responseId: expect.stringMatching(/^resp_/), stream: true, end: 'completed' }),
    ]);
  });

  it.each([
    ['a built-in tool', { tools: [{ type: 'web_search' }] }, 'tools.0.type'],
    ['background', { background: true }, 'background'],
    ['an include value', { include: ['reasoning.encrypted_content'] }, 'include.0'],
    ['an unknown field', { frobnicate: 1 }, 'frobnicate'],
    ['a conversation object', { conversation: 'conv_1' }, 'conversation'],
    ['truncation auto', { truncation: 'auto' }, 'truncation'],
    ['a file input', { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] }, 'input.0.content'],
    ['a built-in tool call item', { input: [{ type: 'web_search_call', id: 'ws_1' }] }, 'input.0.type'],
    ['an input item of an unknown role', { input: [{ role: 'tool', content: 'x' }] }, 'input.0.role'],
    ['no input', { input: undefined }, 'input'],
    ['an empty input', { input: '' }, 'input'],
    ['temperature out of range', { temperature: 3 }, 'temperature'],
  ])('refuses %s with a 400 naming the field, and calls nothing', async (_name, extra, param) => {
    const calls = stack.upstream.length;
    const { status, body } = await json({ model: 'qwen-plus', input: 'Hi', ...extra });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ param, type: 'invalid_request_error' });
    expect(body.error?.message).toContain(param);
    expect(stack.upstream.length).toBe(calls);
  });

  it('ends a stream that DashScope breaks off with response.failed, saves nothing, and logs the failure', async () => {
    stack.emu.faults.add({ match: { path: '/compatible-mode/v1/chat/completions' }, times: 1, fault: { kind: 'reset', afterBytes: 900 } });
    const r = await post({ model: 'qwen-plus', input: 'Write a long story about the sea.', stream: true });
    expect(r.status).toBe(200);
    const evs = events(r.text);
    expect(ofType(evs, 'response.output_text.delta').length).toBeGreaterThan(0);
    const last = evs.at(-1)!.data;
    if (last.type !== 'response.failed') throw new Error(`ended with ${last.type}`);
    expect(last.sequence_number).toBe(evs.length - 1);
    expect(last.response).toMatchObject({ status: 'failed', error: { code: 'stream_interrupted', message: expect.stringContaining('broke off') } });
    expect(ofType(evs, 'response.completed')).toEqual([]);
    const follow = await json({ model: 'qwen-plus', input: 'Go on.', previous_response_id: last.response.id });
    expect(follow.status).toBe(404);
    const log = stack.requestLogs().findLast((l) => l.responseId === last.response.id);
    expect(log).toMatchObject({ end: 'failed', stream: true, status: 200 });
  });

  it('serves text.format JSON mode as chat does: without the word json, and with thinking turned off', async () => {
    const before = stack.upstream.length;
    const { status, body } = await json({ model: 'qwen-plus', input: 'Hello.', enable_thinking: true, text: { format: { type: 'json_object' } } });
    expect(status).toBe(200);
    expect(JSON.parse((body.output as { content?: { text: string }[] }[]).at(-1)!.content![0]!.text)).toBeTypeOf('object');
    const sent = stack.upstream[before]!.body;
    expect(sent.response_format).toEqual({ type: 'json_object' });
    expect(sent.enable_thinking).not.toBe(true);
    expect(JSON.stringify(sent.messages).toLowerCase()).toContain('json');
  });

  it('works through the openai SDK, create and stream', async () => {
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: KEY_A, maxRetries: 0 });
    const r = await client.responses.create({ model: 'qwen-plus', input: 'Name a mountain.' });
    expect(r.output_text.length).toBeGreaterThan(0);
    const stream = await client.responses.create({ model: 'qwen-plus', input: 'Name a mountain.', stream: true });
    let text = '';
    for await (const e of stream) if (e.type === 'response.output_text.delta') text += e.delta;
    expect(text).toBe(r.output_text);
  });
});

describe('POST /v1/responses when the client goes away', () => {
  let slow: ChatStack;
  beforeAll(async () => {
    slow = await startChatStack({ emulator: { chunkDelayMs: 10, replyTokens: 60 } });
  });
  afterAll(async () => slow?.close());

  it('cancels the upstream request mid-stream, logs the request aborted and keeps no response', async () => {
    const c = new OpenAI({ baseURL: slow.baseURL, apiKey: 'unused', maxRetries: 0 });
    const before = slow.emu.requests.length;
    const controller = new AbortController();
    const stream = await c.responses.create({ model: 'qwen-plus', input: 'Count slowly to a thousand.', stream: true }, { signal: controller.signal });
    let id = '';
    let deltas = 0;
    try {
      for await (const e of stream) {
        if (e.type === 'response.created') id = e.response.id;
        if (e.type === 'response.output_text.delta' && ++deltas === 3) controller.abort();
      }
    } catch {
      // the SDK may surface the abort as an error; the point is what happened upstream
    }
    const abortedUpstream = (r: { path: string; aborted: boolean }) => r.path === '/compatible-mode/v1/chat/completions' && r.aborted;
    await slow.emu.whenRequests((all) => all.slice(before).some(abortedUpstream));
    const log = await slow.logged((l) => l.msg === 'request' && l.path === '/v1/responses' && l.end === 'aborted');
    expect(log).toMatchObject({ status: 499, responseId: id, tenant: 'local' });
    expect(id).toMatch(/^resp_/);
    expect(await slow.deps.conversations.get(`local/responses/${id}`)).toBeUndefined();
    // the same request read to its end is kept under that key
    const whole = await c.responses.create({ model: 'qwen-plus', input: 'Count to three.' });
    expect(await slow.deps.conversations.get(`local/responses/${whole.id}`)).toMatchObject({ turns: [expect.objectContaining({ messages: [expect.objectContaining({ role: 'user' }), expect.objectContaining({ role: 'assistant' })] })] });
  });
});
