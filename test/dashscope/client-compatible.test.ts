// The client's non-streamed compatible-mode chat against scripted local servers: what is sent, what comes
// back, which failures are retried, how they are typed, and that a caller who goes away cancels the request.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/config.ts';
import { createDashScopeClient } from '../../shared/dashscope/client.ts';
import { DashScopeAbortedError, DashScopeApiError, DashScopeConnectionError, DashScopeTimeoutError } from '../../shared/dashscope/errors.ts';
import { json, startTinyServer } from './tiny-server.ts';
import { clientHarness } from './client-harness.ts';
import { chatBody, completion, RID } from './compat-fixtures.ts';

const { servers, clients, setup, closeAll } = clientHarness({ workspace: 'llm-test' });
const body = chatBody;

afterEach(closeAll);

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
    await server.arrived(1);
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
    expect(err).toMatchObject({ beforeSend: true });
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
    await expect(client.getTask('t1')).rejects.toMatchObject({ code: 'missing_api_key' });
  });
});
