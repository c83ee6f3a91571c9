// The client's compatible-mode chat streams (chatRelay) against scripted local servers: what is pushed, what
// is retried (only before the response head), how a stream fails, and when the upstream request is cancelled.
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayChunk, RelayStream } from '../../shared/dashscope/chat-chunks.ts';
import { DashScopeClient } from '../../shared/dashscope/client.ts';
import { DashScopeAbortedError, DashScopeStreamError } from '../../shared/dashscope/errors.ts';
import { clientHarness } from './client-harness.ts';
import { chatBody as body, chunk, RID } from './compat-fixtures.ts';
import { needRecordings, recordedLines } from '../support/recordings.ts';
import { json, sseHead } from './tiny-server.ts';

const { clients, setup, closeAll } = clientHarness({ workspace: 'llm-test' });

afterEach(closeAll);

/** Every group of RelayChunks the stream pushes. */
async function reads(stream: RelayStream): Promise<RelayChunk[][]> {
  const out: RelayChunk[][] = [];
  await stream.pump((read) => void out.push(read));
  return out;
}

/** The generated text of each chunk, read (and so parsed and checked) as a consumer would. */
async function contents(stream: RelayStream): Promise<string[]> {
  const out: string[] = [];
  await stream.pump((read) => void out.push(...read.map((c) => String(c.chunk.choices[0]?.delta.content))));
  return out;
}

describe('chatRelay', () => {
  it('pushes each chunk with DashScope\'s exact text, grouped by read, only the finishing one marked for inspection', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const texts = [JSON.stringify(chunk('a')), JSON.stringify(chunk('b')), JSON.stringify({ ...chunk(''), choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })];
    const { client, server } = await setup(async (_req, res) => {
      sseHead(res, RID);
      res.write(`data: ${texts[0]}\n\n`);
      await gate;
      res.end(`data: ${texts[1]}\n\ndata: ${texts[2]}\n\ndata: [DONE]\n\n`);
    });
    const { requestId, stream } = await client.chatRelay(body);
    expect(requestId).toBe(RID);
    const got: RelayChunk[][] = [];
    await stream.pump((read) => {
      got.push(read);
      // the second read can only come once the first was pushed
      if (got.length === 1) release();
    });
    expect(got.map((read) => read.map((c) => [c.json, c.needsInspection]))).toEqual([
      [[texts[0], false]],
      [
        [texts[1], false],
        [texts[2], true],
      ],
    ]);
    expect(got[1]?.[1]?.chunk.choices[0]?.finish_reason).toBe('stop');
    expect((await server.settled(1)).aborted).toBe(false);
  });

  it('fails with the code of an error frame and cancels the request, as any reader must', async () => {
    const { client, server } = await setup((_req, res) => {
      sseHead(res, RID);
      res.write(`data: ${JSON.stringify(chunk('a'))}\n\n`);
      res.write(`data: ${JSON.stringify({ error: { code: 'data_inspection_failed', message: 'Output data may contain inappropriate content.' }, request_id: RID })}\n\n`);
    });
    const err = await reads((await client.chatRelay(body)).stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeStreamError);
    expect(err).toMatchObject({ code: 'data_inspection_failed', requestId: RID });
    expect((await server.settled(1)).aborted).toBe(true);
  });

  it('turns a reset after the first chunk into stream_interrupted and never re-sends', async () => {
    const { client, server } = await setup((_req, res) => {
      sseHead(res, RID);
      res.write(`data: ${JSON.stringify(chunk('partial'))}\n\n`, () => setTimeout(() => res.socket?.destroy(), 10));
    });
    const err = await reads((await client.chatRelay(body)).stream).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'stream_interrupted', requestId: RID });
    expect(server.requests).toHaveLength(1);
  });

  it('cancels the upstream request when the caller aborts mid-stream, with DashScopeAbortedError', async () => {
    const { client, server } = await setup((_req, res) => {
      sseHead(res, RID);
      const timer = setInterval(() => res.write(`data: ${JSON.stringify(chunk('tick'))}\n\n`), 5);
      res.on('close', () => clearInterval(timer));
    });
    const controller = new AbortController();
    const { stream } = await client.chatRelay(body, { signal: controller.signal });
    const err = await stream
      .pump((read) => {
        expect(read[0]?.chunk.choices[0]?.delta.content).toBe('tick');
        controller.abort();
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeAbortedError);
    expect((await server.settled(1)).aborted).toBe(true);
  });

  it('retries a 500 before the response head, then streams', async () => {
    const { client, server } = await setup((_req, res, _s, n) => {
      if (n === 1) return json(res, 500, { error: { code: 'internal_error', message: 'An internal error has occured' } });
      sseHead(res, RID);
      res.end(`data: ${JSON.stringify(chunk('ok'))}\n\ndata: [DONE]\n\n`);
    });
    expect(await contents((await client.chatRelay(body)).stream)).toEqual(['ok']);
    expect(server.requests).toHaveLength(2);
    expect(JSON.parse(server.requests[1]!.body.toString())).toMatchObject({ stream: true });
  });

  it('fails with invalid_chunk when a chunk of the wrong shape is read, and cancels the request', async () => {
    const { client, server } = await setup((_req, res) => {
      sseHead(res, RID);
      res.write('data: {"choices":[null]}\n\n');
    });
    await expect(contents((await client.chatRelay(body)).stream)).rejects.toMatchObject({ code: 'invalid_chunk', requestId: RID });
    expect((await server.settled(1)).aborted).toBe(true);
  });

  it('cancels the upstream request when the consumer stops (its onRead throws), rejecting with what it threw', async () => {
    const { client, server } = await setup((_req, res) => {
      sseHead(res, RID);
      const timer = setInterval(() => res.write(`data: ${JSON.stringify(chunk('tick'))}\n\n`), 5);
      res.on('close', () => clearInterval(timer));
    });
    const stop = new Error('enough');
    const { stream } = await client.chatRelay(body);
    await expect(stream.pump(() => { throw stop; })).rejects.toBe(stop);
    expect((await server.settled(1)).aborted).toBe(true);
  });

  it('hands the connection back after [DONE] without cancelling the request, so the next stream reuses it', async () => {
    const ports: number[] = [];
    const { client, server } = await setup((req, res) => {
      ports.push(req.socket.remotePort ?? 0);
      sseHead(res, RID);
      // the body ends a little after [DONE], as it may upstream: cancelling at [DONE] would cut the connection
      res.write(`data: ${JSON.stringify(chunk('one'))}\n\ndata: [DONE]\n\n`, () => setTimeout(() => res.end(), 5));
    });
    for (let i = 0; i < 2; i++) {
      expect(await contents((await client.chatRelay(body)).stream)).toEqual(['one']);
      expect((await server.settled(i + 1)).aborted).toBe(false);
      // node:http hands a freed connection back to its pool on the next tick, not at once
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(ports[1]).toBe(ports[0]);
  });

  it('stops at [DONE] even when DashScope keeps the response open, and closes it once the deadline passes', async () => {
    const { client, server } = await setup(
      (_req, res) => {
        sseHead(res, RID);
        res.write(`data: ${JSON.stringify(chunk('done'))}\n\ndata: [DONE]\n\n`);
      },
      { timeoutMs: 200 },
    );
    expect(await contents((await client.chatRelay(body)).stream)).toEqual(['done']);
    expect((await server.settled(1)).aborted).toBe(true);
  });

  it('keeps a path prefix of the configured origin, as a base URL', async () => {
    const { server } = await setup((_req, res) => {
      sseHead(res, RID);
      res.end('data: [DONE]\n\n');
    });
    const client = new DashScopeClient({ origin: `${server.url}/gateway/`, apiKey: 'sk-test-key', timeoutMs: 5_000, maxRetries: 0 });
    clients.push(client);
    await contents((await client.chatRelay(body)).stream);
    expect(server.requests[0]?.path).toBe('/gateway/compatible-mode/v1/chat/completions');
  });

  it('fails with stream_timeout when DashScope goes silent mid-stream, and cancels the request', async () => {
    const { client, server } = await setup(
      (_req, res) => {
        sseHead(res, RID);
        res.write(`data: ${JSON.stringify(chunk('then silence'))}\n\n`);
      },
      { timeoutMs: 300 },
    );
    const err = await contents((await client.chatRelay(body)).stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeStreamError);
    expect(err).toMatchObject({ code: 'stream_timeout' });
    expect((await server.settled(1)).aborted).toBe(true);
  });
});

describe('chatRelay over a recorded DashScope stream', () => {
  it('pushes every recorded chunk unchanged, in order, when the server writes it in small pieces', async (ctx) => {
    needRecordings(ctx);
    const lines = recordedLines('alibaba-tool-call.chunks.txt');
    const wire = Buffer.from(lines.map((l) => `data: ${l}\n\n`).join('') + 'data: [DONE]\n\n');
    const { client } = await setup(async (_req, res) => {
      sseHead(res, RID);
      for (let i = 0; i < wire.length; i += 97) {
        await new Promise<void>((r) => res.write(wire.subarray(i, i + 97), () => r()));
      }
      res.end();
    });
    const out = (await reads((await client.chatRelay(body)).stream)).flat().map((c) => c.chunk);
    expect(out).toEqual(lines.map((l) => JSON.parse(l)));
  });
});
