// What reaches the client's socket when chat-stream relays a DashScope stream: the stream's reader, the relay
// and the SSE writer together, with the upstream body and the client's response both played by fakes.
import type { ChatUpstream, RelayedChunk } from '../../shared/ports/chat-upstream.ts';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createSseSink } from '../../functions/chat-stream/sse-writer.ts';
import { pumpRelayChunks } from '../../shared/dashscope/chat-chunks.ts';
import { Deadline } from '../../shared/dashscope/deadline.ts';
import { relayChatStream } from '../../shared/use-cases/chat/stream-relay.ts';

/** The client's response: every socket write, and what the end sent. */
class FakeResponse extends EventEmitter {
  writes: string[] = [];
  ended: string | undefined;
  writableEnded = false;
  destroyed = false;
  socket = { setNoDelay: () => undefined };
  writeHead() {
    return this;
  }
  write(text: string) {
    this.writes.push(text);
    return true;
  }
  end(text: string) {
    this.ended = text;
    this.writableEnded = true;
  }
}

/** Relays an upstream body that arrives as `reads`, one read each, to a client that did or did not ask for usage. */
async function relay(reads: string[], includeUsage = false): Promise<FakeResponse> {
  const body = Object.assign(Readable.from(reads.map((r) => Buffer.from(r))), { dump: async () => undefined });
  const dashscope: Pick<ChatUpstream, 'chatRelay'> = { chatRelay: async () => ({ requestId: 'ds-1', stream: { pump: (onRead) => pumpRelayChunks(body, new Deadline(5_000), 'ds-1', onRead) } }) };
  const res = new FakeResponse();
  const sink = createSseSink(res as unknown as ServerResponse, 'rid');
  const r = await relayChatStream(dashscope, { model: 'qwen-plus', messages: [], stream: true }, {
    signal: new AbortController().signal,
    sink,
    includeUsage,
    assemble: false,
    startedAt: performance.now(),
  });
  expect(r).toMatchObject({ opened: true, finished: true });
  sink.done();
  return res;
}

const base = '"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"qwen-plus"';
const frame = (choices: string, extra = '') => `data: {${base},"choices":[${choices}]${extra}}\n\n`;
const text = (content: string) => frame(`{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":null}`);
const stop = frame('{"index":0,"delta":{},"finish_reason":"stop"}');
const usage = frame('', ',"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}');

describe('a relayed stream on the client\'s socket', () => {
  it('sends each upstream read in one write, byte for byte, and ends with [DONE]', async () => {
    // DashScope's spacing is kept: nothing is serialised again
    const spaced = `data: {${base}, "choices": [{"index": 0, "delta": {"content": "!"}, "finish_reason": null}]}\n\n`;
    const reads = [frame('{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}'), text('Hel'), text('lo') + text(' there'), spaced, stop];
    const res = await relay([...reads, usage + 'data: [DONE]\n\n']);
    expect(res.writes).toEqual(reads);
    // the usage chunk is not sent to a client that did not ask for it
    expect(res.ended).toBe('data: [DONE]\n\n');
  });

  it('sends the usage chunk as DashScope wrote it to a client that asked for it', async () => {
    const res = await relay([text('Hi'), stop, usage, 'data: [DONE]\n\n'], true);
    expect(res.writes).toEqual([text('Hi'), stop, usage]);
  });

  it('sends no usage key to a client that did not ask for usage, and keeps it for one that did', async () => {
    const withNull = (content: string) => frame(`{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":null}`, ',"usage":null');
    const finish = frame('{"index":0,"delta":{},"finish_reason":"stop"}', ',"usage":null');
    const plain = await relay([withNull('Hi'), finish, usage, 'data: [DONE]\n\n']);
    expect(plain.writes).toHaveLength(2);
    for (const w of plain.writes) expect(JSON.parse(w.slice('data: '.length))).not.toHaveProperty('usage');
    const asked = await relay([withNull('Hi'), finish, usage, 'data: [DONE]\n\n'], true);
    expect(asked.writes).toEqual([withNull('Hi'), finish, usage]);
  });

  it('hands a sink that reads the parsed chunk the same chunk when its null usage was cut from the text', async () => {
    const body = Object.assign(Readable.from([frame('{"index":0,"delta":{"content":"Hi"},"finish_reason":null}', ',"usage":null'), stop, 'data: [DONE]\n\n'].map((r) => Buffer.from(r))), { dump: async () => undefined });
    const dashscope: Pick<ChatUpstream, 'chatRelay'> = { chatRelay: async () => ({ requestId: 'ds-1', stream: { pump: (onRead) => pumpRelayChunks(body, new Deadline(5_000), 'ds-1', onRead) } }) };
    const seen: { text: string; content: unknown }[] = [];
    const sink = { open: () => undefined, forward: (c: RelayedChunk) => void seen.push({ text: c.json, content: c.chunk.choices[0]?.delta?.content }), send: () => undefined, flush: () => undefined, done: () => undefined, fail: () => undefined };
    await relayChatStream(dashscope, { model: 'qwen-plus', messages: [], stream: true }, { signal: new AbortController().signal, sink, includeUsage: false, assemble: false, startedAt: performance.now() });
    expect(seen[0]!.content).toBe('Hi');
    expect(seen[0]!.text).not.toContain('usage');
  });

  it('gives every choice of every chunk a finish_reason, null until the end', async () => {
    const bare = frame('{"index":0,"delta":{"content":"Hi"}}');
    const res = await relay([bare, stop, 'data: [DONE]\n\n']);
    const choices = res.writes.map((w) => (JSON.parse(w.slice('data: '.length)) as { choices: Record<string, unknown>[] }).choices[0]);
    expect(choices).toEqual([{ index: 0, delta: { content: 'Hi' }, finish_reason: null }, { index: 0, delta: {}, finish_reason: 'stop' }]);
  });

  it('sends tool-call deltas repaired into OpenAI form: id, type and name on the first only', async () => {
    const call = (id: string, name: string | null, args: string) =>
      frame(`{"index":0,"delta":{"tool_calls":[{"index":0,"id":"${id}","type":"function","function":{"name":${JSON.stringify(name)},"arguments":${JSON.stringify(args)}}}]},"finish_reason":null}`);
    const res = await relay([call('call_1', 'weather', ''), call('', 'weather', '{"city":'), call('', null, '"Paris"}'), frame('{"index":0,"delta":{},"finish_reason":"tool_calls"}'), 'data: [DONE]\n\n']);
    const deltas = res.writes.slice(0, 3).map((w) => (JSON.parse(w.slice('data: '.length)) as { choices: { delta: { tool_calls: unknown[] } }[] }).choices[0]!.delta.tool_calls[0]);
    expect(deltas).toEqual([
      { index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '' } },
      { index: 0, function: { arguments: '{"city":' } },
      { index: 0, function: { arguments: '"Paris"}' } },
    ]);
    expect(res.writes.every((w) => w.startsWith('data: ') && w.endsWith('\n\n'))).toBe(true);
  });
});
