import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayChunk } from '../../shared/dashscope/chat-chunks.ts';
import { HttpError } from '../../shared/http/errors.ts';
import type { ChatChunk } from '../../shared/ports/chat-upstream.ts';
import { createSseSink } from './sse-writer.ts';

const value = (content: string): ChatChunk => ({ id: 'c1', created: 1, model: 'qwen-plus', choices: [{ index: 0, delta: { content }, finish_reason: null }] });
/** A chunk's JSON text, as DashScope sends it. */
const chunk = (content: string): string => JSON.stringify(value(content));
/** A chunk as the relay forwards it: read from one line of text. */
const relayed = (content: string): RelayChunk => RelayChunk.fromText(chunk(content));
const tick = () => new Promise<void>((r) => setImmediate(r));

/** Just enough of a ServerResponse to watch writes and play a full socket buffer. */
class FakeResponse extends EventEmitter {
  writes: string[] = [];
  ended: string | undefined;
  writableEnded = false;
  destroyed = false;
  full = false;
  socket = { setNoDelay: () => undefined };
  writeHead() {
    return this;
  }
  write(text: string) {
    this.writes.push(text);
    return !this.full;
  }
  end(text: string) {
    this.ended = text;
    this.writableEnded = true;
  }
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

describe('createSseSink', () => {
  it('sends the events added before a flush in one write, in order, and ends with [DONE]', async () => {
    const server = createServer((_req, res: ServerResponse) => {
      const sink = createSseSink(res, 'rid');
      const writes: unknown[] = [];
      const write = res.write.bind(res) as (s: string) => boolean;
      res.write = ((s: string) => (writes.push(s), write(s))) as typeof res.write;
      sink.open({ dashscopeRequestId: 'ds-1' });
      for (const c of ['a', 'b', 'c']) sink.forward(relayed(c));
      void sink.flush();
      void tick().then(() => {
        sink.forward(relayed('d'));
        sink.done();
        res.once('finish', () => server.emit('writes', writes.length));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const writes = new Promise<number>((r) => server.once('writes', r));
    const res = await request(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    const text = await res.body.text();
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['x-dashscope-request-id']).toBe('ds-1');
    const events = text.split('\n\n').filter(Boolean);
    expect(events.slice(0, 4).map((e) => JSON.parse(e.slice('data: '.length)).choices[0].delta.content)).toEqual(['a', 'b', 'c', 'd']);
    expect(events[4]).toBe('data: [DONE]');
    expect(await writes).toBe(1); // a, b and c; d went out with the end
  });

  it('makes the next chunk wait while the socket buffer is full, until it drains', async () => {
    const res = new FakeResponse();
    const sink = createSseSink(res as unknown as ServerResponse, 'rid');
    sink.open({});
    expect(sink.flush()).toBeUndefined(); // nothing added, nothing written
    expect(res.writes).toEqual([]);
    sink.forward(relayed('a'));
    res.full = true;
    const wait = sink.flush();
    expect(wait).toBeInstanceOf(Promise);
    let drained = false;
    void wait!.then(() => (drained = true));
    await tick();
    expect(drained).toBe(false);
    sink.forward(relayed('b'));
    expect(sink.flush()).toBe(wait); // still the same wait while the buffer is full
    res.full = false;
    res.emit('drain');
    await wait;
    sink.forward(relayed('c'));
    expect(sink.flush()).toBeUndefined();
    expect(res.writes).toEqual([`data: ${chunk('a')}\n\n`, `data: ${chunk('b')}\n\n`, `data: ${chunk('c')}\n\n`]);
  });

  it('sends a forwarded chunk\'s frame as it came, frames one without, and serialises a changed chunk', async () => {
    const res = new FakeResponse();
    const sink = createSseSink(res as unknown as ServerResponse, 'rid');
    sink.open({});
    // a frame as DashScope may write it, with spacing JSON.stringify would not produce: sent byte for byte
    const spaced = '{"choices": [{"index": 0, "delta": {"content": "a"}}]}';
    sink.forward(new RelayChunk(spaced, `data: ${spaced}\n\n`, undefined));
    sink.forward(relayed('b'));
    sink.send(value('c'));
    void sink.flush();
    expect(res.writes).toEqual([`data: ${spaced}\n\ndata: ${chunk('b')}\n\ndata: ${chunk('c')}\n\n`]);
  });

  it('puts what is still pending before the error event that ends a failed stream', () => {
    const res = new FakeResponse();
    const sink = createSseSink(res as unknown as ServerResponse, 'rid');
    sink.open({});
    sink.forward(relayed('partial'));
    sink.fail(new HttpError(502, 'stream_interrupted', 'the stream broke off'));
    const events = (res.ended ?? '').split('\n\n').filter(Boolean).map((e) => JSON.parse(e.slice('data: '.length)));
    expect(events[0].choices[0].delta.content).toBe('partial');
    expect(events[1]).toMatchObject({ error: { code: 'stream_interrupted', request_id: 'rid' } });
    expect(res.writes).toEqual([]);
  });
});
