// The client's compatible-mode calls (chat, chat streams, embeddings, uploads) against scripted local servers:
// what is sent, what comes back, which failures are retried, and how streams fail and cancel.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/config.ts';
import { createDashScopeClient, DashScopeClient } from '../../shared/dashscope/client.ts';
import type { RelayChunk, RelayStream } from '../../shared/dashscope/chat-chunks.ts';
import { DashScopeAbortedError, DashScopeApiError, DashScopeConnectionError, DashScopeStreamError, DashScopeTimeoutError } from '../../shared/dashscope/errors.ts';
import { json, sseHead, startTinyServer } from './tiny-server.ts';
import { clientHarness } from './client-harness.ts';

const RID = '9d3c0a58-7a8b-4c1d-9e2f-3a4b5c6d7e8f';
const { servers, clients, setup, closeAll } = clientHarness({ workspace: 'llm-test' });

afterEach(closeAll);

const completion = (content: string) => ({
  id: `chatcmpl-${RID}`,
  object: 'chat.completion',
  created: 1770764906,
  model: 'qwen-plus',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  system_fingerprint: null,
});

const chunk = (content: string) => ({
  id: `chatcmpl-${RID}`,
  object: 'chat.completion.chunk',
  created: 1770764906,
  model: 'qwen-plus',
  choices: [{ index: 0, delta: { content }, finish_reason: null, logprobs: null }],
  usage: null,
});

const body = { model: 'qwen-plus', messages: [{ role: 'user', content: 'hi' }] };

describe('chat', () => {
  it('posts the body untouched (DashScope extras included) with key and workspace, and returns the request id', async () => {
    const { server, client } = await setup((_req, res) => json(res, 200, completion('hello'), { 'x-request-id': RID }));
    const r = await client.chat({ ...body, enable_thinking: false, top_k: 20 });
    expect(r.requestId).toBe(RID);
    expect(r.completion.choices[0]?.message.content).toBe('hello');
    const seen = server.requests[0]!;
    expect(seen.path).toBe('/compatible-mode/v1/chat/completions');
    expect(seen.headers.authorization).toBe('Bearer sk-test-key');
    expect(seen.headers['x-dashscope-workspace']).toBe('llm-test');
    expect(JSON.parse(seen.body.toString())).toMatchObject({ ...body, enable_thinking: false, top_k: 20, stream: false });
  });

  it('takes the request id from the completion id when the header is missing', async () => {
    const { client } = await setup((_req, res) => json(res, 200, completion('x')));
    expect((await client.chat(body)).requestId).toBe(RID);
  });

  it('retries a 429 once and returns the success', async () => {
    const { server, client, retries } = await setup((_req, res, _s, n) =>
      n === 1
        ? json(res, 429, { error: { code: 'limit_requests', message: 'Requests rate limit exceeded', type: 'limit_requests' }, request_id: 'r1' })
        : json(res, 200, completion('after throttle'), { 'x-request-id': RID }),
    );
    const r = await client.chat(body);
    expect(r.completion.choices[0]?.message.content).toBe('after throttle');
    expect(server.requests).toHaveLength(2);
    expect(retries()).toBe(1);
  });

  it('does not retry a 400 and maps it with code, param and request id', async () => {
    const { server, client } = await setup((_req, res) =>
      json(res, 400, { error: { code: 'invalid_parameter_error', param: 'messages', message: "'messages' must contain the word 'json'", type: 'invalid_request_error' }, request_id: RID }),
    );
    const err = await client.chat(body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeApiError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_parameter_error', param: 'messages', requestId: RID, type: 'invalid_request_error' });
    expect(server.requests).toHaveLength(1);
  });

  it('reads a native envelope even on a compatible-mode path', async () => {
    const { client } = await setup((_req, res) => json(res, 403, { code: 'Model.AccessDenied', message: 'Model access denied.', request_id: RID }));
    await expect(client.chat(body)).rejects.toMatchObject({ status: 403, code: 'Model.AccessDenied', requestId: RID });
  });

  it('retries a non-JSON 502 until retries run out, then reports the status with a short excerpt', async () => {
    const { server, client } = await setup((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html', 'x-request-id': RID });
      res.end('<html>upstream connect error</html>');
    });
    const err = await client.chat(body).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, code: 'http_502', requestId: RID });
    expect((err as Error).message).toContain('upstream connect error');
    expect(server.requests).toHaveLength(3);
  });

  it('retries when the connection is reset before any answer, then succeeds', async () => {
    const { server, client } = await setup((_req, res, _s, n) => (n === 1 ? res.socket?.destroy() : json(res, 200, completion('ok'))));
    expect((await client.chat(body)).completion.choices[0]?.message.content).toBe('ok');
    expect(server.requests).toHaveLength(2);
  });

  it('times out a hanging answer with DashScopeTimeoutError and does not retry it', async () => {
    const { server, client } = await setup(() => undefined, { timeoutMs: 300 });
    await expect(client.chat(body)).rejects.toBeInstanceOf(DashScopeTimeoutError);
    expect(server.requests).toHaveLength(1);
    expect((await server.settled(1)).aborted).toBe(true);
  });

  it('times out an answer that stops half-way through its body, and fails a body cut off by a reset', async () => {
    const half = JSON.stringify(completion('ok')).slice(0, 40);
    const hanging = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(half);
    }, { timeoutMs: 300, maxRetries: 0 });
    await expect(hanging.client.chat(body)).rejects.toBeInstanceOf(DashScopeTimeoutError);
    const cut = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(half, () => setTimeout(() => res.socket?.destroy(), 20));
    }, { maxRetries: 0 });
    await expect(cut.client.chat(body)).rejects.toMatchObject({ code: 'connection_error', beforeSend: false });
  });

  it('refuses an answer larger than the JSON cap without reading it all', async () => {
    const { client } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const piece = Buffer.alloc(1024 * 1024, 32);
      let sent = 0;
      const more = () => {
        while (sent < 40 && res.write(piece)) sent++;
        if (sent < 40 && !res.destroyed) res.once('drain', more);
      };
      more();
    }, { maxRetries: 0 });
    await expect(client.chat(body)).rejects.toMatchObject({ name: 'DashScopeResponseError', message: expect.stringMatching(/larger than 16777216 bytes/) });
  });

  it('cancels the upstream request when the caller aborts, with DashScopeAbortedError', async () => {
    const { server, client } = await setup(() => undefined);
    const controller = new AbortController();
    const call = client.chat(body, { signal: controller.signal });
    await waitFor(() => server.requests.length === 1);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(DashScopeAbortedError);
    expect((await server.settled(1)).aborted).toBe(true);
  });

  it('fails with connection_error (retryable, before send) when nothing listens', async () => {
    const { server, client, retries } = await setup(() => undefined);
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const err = await client.chat(body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeConnectionError);
    expect(err).toMatchObject({ beforeSend: true, statusCode: 502 });
    expect(retries()).toBe(2);
  });

  it('fails with missing_api_key, without a request, when built without a key', async () => {
    const { server, client } = await setup(() => undefined, { apiKey: '' });
    await expect(client.chat(body)).rejects.toMatchObject({ code: 'missing_api_key' });
    expect(server.requests).toHaveLength(0);
  });
});

describe('createDashScopeClient', () => {
  it('builds the client from config: origin, key, workspace, retries', async () => {
    const server = await startTinyServer((_req, res, _s, n) => (n === 1 ? json(res, 503, { code: 'ModelUnavailable', message: 'later' }) : json(res, 200, completion('cfg'))));
    servers.push(server);
    const config = loadConfig({ DASHSCOPE_BASE_URL: server.url, DASHSCOPE_API_KEY: 'sk-from-env', DASHSCOPE_WORKSPACE: 'llm-ws', DASHSCOPE_MAX_RETRIES: '0' });
    const client = createDashScopeClient(config);
    clients.push(client);
    await expect(client.chat(body)).rejects.toMatchObject({ status: 503 });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers).toMatchObject({ authorization: 'Bearer sk-from-env', 'x-dashscope-workspace': 'llm-ws' });
  });

  it('builds a client without a key (local mode) whose calls fail with missing_api_key', async () => {
    const client = createDashScopeClient(loadConfig({ DASHSCOPE_BASE_URL: 'http://127.0.0.1:9' }));
    clients.push(client);
    await expect(client.getTask('t1')).rejects.toMatchObject({ code: 'missing_api_key', statusCode: 500 });
  });
});

describe('chatRelay', () => {
  /** Every group of RelayChunks the stream pushes. */
  async function reads(stream: RelayStream): Promise<RelayChunk[][]> {
    const out: RelayChunk[][] = [];
    await stream.pump((read) => void out.push(read));
    return out;
  }

  it('pushes each chunk with DashScope\'s exact text, grouped by read, plain text chunks unparsed', async () => {
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
    expect(got.map((read) => read.map((c) => [c.json, c.plain]))).toEqual([
      [[texts[0], true]],
      [
        [texts[1], true],
        [texts[2], false],
      ],
    ]);
    expect(got[1]?.[1]?.chunk.choices[0]?.finish_reason).toBe('stop');
    expect((await server.settled(1)).aborted).toBe(false);
  });

  it('fails with the code of an error frame and cancels the request, as chatStream does', async () => {
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
});

describe('chatStream', () => {
  it('resolves at the response head and yields each chunk as it arrives', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { client, server } = await setup(async (_req, res) => {
      sseHead(res, RID);
      res.write(`data: ${JSON.stringify(chunk('a'))}\n\n`);
      await gate;
      res.write(`data: ${JSON.stringify(chunk('b'))}\n\ndata: [DONE]\n\n`);
      res.end();
    });
    const { requestId, stream } = await client.chatStream(body);
    expect(requestId).toBe(RID);
    const it = stream[Symbol.asyncIterator]();
    expect((await it.next()).value?.choices[0]?.delta.content).toBe('a');
    release();
    expect((await it.next()).value?.choices[0]?.delta.content).toBe('b');
    expect((await it.next()).done).toBe(true);
    expect(JSON.parse(server.requests[0]!.body.toString())).toMatchObject({ stream: true });
  });

  it('retries a 500 before the head, then streams', async () => {
    const { client, server } = await setup((_req, res, _s, n) => {
      if (n === 1) return json(res, 500, { error: { code: 'internal_error', message: 'An internal error has occured' } });
      sseHead(res, RID);
      res.end(`data: ${JSON.stringify(chunk('ok'))}\n\ndata: [DONE]\n\n`);
    });
    const out = await collect((await client.chatStream(body)).stream);
    expect(out.map((c) => c.choices[0]?.delta.content)).toEqual(['ok']);
    expect(server.requests).toHaveLength(2);
  });

  it('turns a reset after the first chunk into DashScopeStreamError and never re-sends', async () => {
    const { client, server } = await setup((_req, res) => {
      sseHead(res, RID);
      res.write(`data: ${JSON.stringify(chunk('partial'))}\n\n`, () => setTimeout(() => res.socket?.destroy(), 10));
    });
    const { stream } = await client.chatStream(body);
    const got: string[] = [];
    const err = await (async () => {
      for await (const c of stream) got.push(String(c.choices[0]?.delta.content));
    })().catch((e: unknown) => e);
    expect(got).toEqual(['partial']);
    expect(err).toBeInstanceOf(DashScopeStreamError);
    expect(err).toMatchObject({ code: 'stream_interrupted', requestId: RID, retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('turns an error object sent inside the stream into DashScopeStreamError with its code', async () => {
    const { client } = await setup((_req, res) => {
      sseHead(res, RID);
      res.write(`data: ${JSON.stringify(chunk('a'))}\n\n`);
      res.end(`data: ${JSON.stringify({ error: { code: 'data_inspection_failed', message: 'Output data may contain inappropriate content.' }, request_id: RID })}\n\n`);
    });
    const err = await collect((await client.chatStream(body)).stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeStreamError);
    expect(err).toMatchObject({ code: 'data_inspection_failed', message: 'Output data may contain inappropriate content.', requestId: RID });
  });

  it('rejects a chunk of the wrong shape as invalid_chunk', async () => {
    const { client } = await setup((_req, res) => {
      sseHead(res, RID);
      res.end('data: {"choices":"nope"}\n\n');
    });
    await expect(collect((await client.chatStream(body)).stream)).rejects.toMatchObject({ code: 'invalid_chunk' });
  });

  it('cancels the upstream request when the consumer breaks out of the loop', async () => {
    const { client, server } = await setup((_req, res) => {
      sseHead(res, RID);
      const timer = setInterval(() => res.write(`data: ${JSON.stringify(chunk('tick'))}\n\n`), 5);
      res.on('close', () => clearInterval(timer));
    });
    const { stream } = await client.chatStream(body);
    for await (const c of stream) {
      expect(c.choices[0]?.delta.content).toBe('tick');
      break;
    }
    expect((await server.settled(1)).aborted).toBe(true);
  });

  it('cancels the upstream request when the caller aborts mid-stream, with DashScopeAbortedError', async () => {
    const { client, server } = await setup((_req, res) => {
      sseHead(res, RID);
      res.write(`data: ${JSON.stringify(chunk('first'))}\n\n`);
    });
    const controller = new AbortController();
    const { stream } = await client.chatStream(body, { signal: controller.signal });
    const err = await (async () => {
      for await (const _c of stream) controller.abort();
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeAbortedError);
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
      const out = await collect((await client.chatStream(body)).stream);
      expect(out.map((c) => c.choices[0]?.delta.content)).toEqual(['one']);
      expect((await server.settled(i + 1)).aborted).toBe(false);
      // undici lets a freed connection sit for one turn of the event loop before it reuses it
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
    const out = await collect((await client.chatStream(body)).stream);
    expect(out.map((c) => c.choices[0]?.delta.content)).toEqual(['done']);
    expect((await server.settled(1)).aborted).toBe(true);
  });

  it('rejects a chunk whose choices are not objects as invalid_chunk, and cancels the request', async () => {
    const { client, server } = await setup((_req, res) => {
      sseHead(res, RID);
      res.write('data: {"choices":[null]}\n\n');
    });
    await expect(collect((await client.chatStream(body)).stream)).rejects.toMatchObject({ code: 'invalid_chunk', requestId: RID });
    expect((await server.settled(1)).aborted).toBe(true);
  });

  it('keeps a path prefix of the configured origin, as a base URL', async () => {
    const { server } = await setup((_req, res) => {
      sseHead(res, RID);
      res.end('data: [DONE]\n\n');
    });
    const client = new DashScopeClient({ origin: `${server.url}/gateway/`, apiKey: 'sk-test-key', timeoutMs: 5_000, maxRetries: 0 });
    clients.push(client);
    await collect((await client.chatStream(body)).stream);
    expect(server.requests[0]?.path).toBe('/gateway/compatible-mode/v1/chat/completions');
  });

  it('fails with stream_timeout when DashScope goes silent mid-stream', async () => {
    const { client, server } = await setup(
      (_req, res) => {
        sseHead(res, RID);
        res.write(`data: ${JSON.stringify(chunk('then silence'))}\n\n`);
      },
      { timeoutMs: 300 },
    );
    const err = await collect((await client.chatStream(body)).stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeStreamError);
    expect(err).toMatchObject({ code: 'stream_timeout', statusCode: 504 });
    expect((await server.settled(1)).aborted).toBe(true);
  });
});

const fixture = resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared/fixtures/dashscope/alibaba-tool-call.chunks.txt');
if (!existsSync(fixture)) console.log(`skipping recorded tool-call stream: ${fixture} is absent`);

describe.skipIf(!existsSync(fixture))('chatStream over a recorded DashScope stream', () => {
  it('yields every recorded chunk unchanged, in order, when the server writes it in small pieces', async () => {
    const lines = readFileSync(fixture, 'utf8').split('\n').filter((l) => l.trim());
    const wire = Buffer.from(lines.map((l) => `data: ${l}\n\n`).join('') + 'data: [DONE]\n\n');
    const { client } = await setup(async (_req, res) => {
      sseHead(res, RID);
      for (let i = 0; i < wire.length; i += 97) {
        await new Promise<void>((r) => res.write(wire.subarray(i, i + 97), () => r()));
      }
      res.end();
    });
    const out = await collect((await client.chatStream(body)).stream);
    expect(out).toEqual(lines.map((l) => JSON.parse(l)));
  });
});

describe('embed', () => {
  it('asks for float vectors explicitly and returns them with the request id', async () => {
    const { client, server } = await setup((_req, res) =>
      json(res, 200, { object: 'list', data: [{ object: 'embedding', embedding: [0.1, -0.2], index: 0 }], model: 'text-embedding-v4', usage: { prompt_tokens: 2, total_tokens: 2 } }, { 'x-request-id': RID }),
    );
    const r = await client.embed({ model: 'text-embedding-v4', input: ['hello'], dimensions: 64 });
    expect(r.requestId).toBe(RID);
    expect(r.response.data[0]?.embedding).toEqual([0.1, -0.2]);
    expect(server.requests[0]!.path).toBe('/compatible-mode/v1/embeddings');
    expect(JSON.parse(server.requests[0]!.body.toString())).toEqual({ model: 'text-embedding-v4', input: ['hello'], dimensions: 64, encoding_format: 'float' });
  });
});

describe('uploadFile', () => {
  it('sends a multipart upload to /files and returns the parsed file object', async () => {
    const { client, server } = await setup((_req, res) =>
      json(res, 200, { id: 'file-ft-123', object: 'file', bytes: 12, filename: 'train.jsonl', purpose: 'fine-tune', status: 'processed', created_at: 1770000000 }, { 'x-request-id': RID }),
    );
    const r = await client.uploadFile(Buffer.from('{"messages":[]}\n'), 'train.jsonl', 'fine-tune');
    expect(r).toMatchObject({ id: 'file-ft-123', status: 'processed', requestId: RID });
    const seen = server.requests[0]!;
    expect(seen.path).toBe('/compatible-mode/v1/files');
    expect(String(seen.headers['content-type'])).toMatch(/^multipart\/form-data/);
    expect(seen.body.toString()).toContain('filename="train.jsonl"');
    expect(seen.body.toString()).toContain('fine-tune');
  });
});

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of stream) out.push(x);
  return out;
}

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
}
