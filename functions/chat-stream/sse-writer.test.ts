import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../shared/http/errors.ts';
import { createSseSink } from './sse-writer.ts';

/** A chunk's JSON text, as the relay hands it to the sink. */
const chunk = (content: string): string => JSON.stringify({ id: 'c1', created: 1, model: 'qwen-plus', choices: [{ index: 0, delta: { content }, finish_reason: null }] });
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
      for (const c of ['a', 'b', 'c']) sink.chunk(chunk(c));
      void sink.flush();
      void tick().then(() => {
        sink.chunk(chunk('d'));
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
    sink.chunk(chunk('a'));
    res.full = true;
    const wait = sink.flush();
    expect(wait).toBeInstanceOf(Promise);
    let drained = false;
    void wait!.then(() => (drained = true));
    await tick();
    expect(drained).toBe(false);
    sink.chunk(chunk('b'));
    expect(sink.flush()).toBe(wait); // still the same wait while the buffer is full
    res.full = false;
    res.emit('drain');
    await wait;
    sink.chunk(chunk('c'));
    expect(sink.flush()).toBeUndefined();
    expect(res.writes).toEqual([`data: ${chunk('a')}\n\n`, `data: ${chunk('b')}\n\n`, `data: ${chunk('c')}\n\n`]);
  });

  it('sends a frame it is given as it is, and builds the event from the JSON text otherwise', async () => {
    const res = new FakeResponse();
    const sink = createSseSink(res as unknown as ServerResponse, 'rid');
    sink.open({});
    sink.chunk(chunk('a'), `data: ${chunk('a')}\n\n`);
    sink.chunk(chunk('b'));
    void sink.flush();
    expect(res.writes).toEqual([`data: ${chunk('a')}\n\ndata: ${chunk('b')}\n\n`]);
  });

  it('puts what is still pending before the error event that ends a failed stream', () => {
    const res = new FakeResponse();
    const sink = createSseSink(res as unknown as ServerResponse, 'rid');
    sink.open({});
    sink.chunk(chunk('partial'));
    sink.fail(new HttpError(502, 'stream_interrupted', 'the stream broke off'));
    const events = (res.ended ?? '').split('\n\n').filter(Boolean).map((e) => JSON.parse(e.slice('data: '.length)));
    expect(events[0].choices[0].delta.content).toBe('partial');
    expect(events[1]).toMatchObject({ error: { code: 'stream_interrupted', request_id: 'rid' } });
    expect(res.writes).toEqual([]);
  });
});
