// The client's embeddings against scripted local servers, on the same transport as chat: what is sent, what
// comes back, which failures are retried (as counted by the server), how they are typed, and cancellation.
import { afterEach, describe, expect, it } from 'vitest';
import { DashScopeClient } from '../../shared/dashscope/client.ts';
import { DashScopeAbortedError, DashScopeApiError, DashScopeResponseError, DashScopeTimeoutError } from '../../shared/dashscope/errors.ts';
import { clientHarness } from './client-harness.ts';
import { embeddings, RID } from './compat-fixtures.ts';
import { json } from './tiny-server.ts';

const { clients, setup, closeAll } = clientHarness({ workspace: 'llm-test' });

afterEach(closeAll);

const request = { model: 'text-embedding-v4', input: ['hello'], dimensions: 64 };
const ok = embeddings([[0.1, -0.2]]);

describe('embed', () => {
  it('posts the body with float vectors asked for explicitly, key and workspace, and returns the request id', async () => {
    const { client, server } = await setup((_req, res) => json(res, 200, ok, { 'x-request-id': RID }));
    const r = await client.embed({ ...request, encoding_format: 'base64', text_type: 'query' });
    expect(r.requestId).toBe(RID);
    expect(r.response.data[0]?.embedding).toEqual([0.1, -0.2]);
    expect(r.response.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    const seen = server.requests[0]!;
    expect([seen.method, seen.path]).toEqual(['POST', '/compatible-mode/v1/embeddings']);
    expect(seen.headers).toMatchObject({ authorization: 'Bearer sk-test-key', 'x-dashscope-workspace': 'llm-test', 'content-type': 'application/json' });
    expect(JSON.parse(seen.body.toString())).toEqual({ ...request, text_type: 'query', encoding_format: 'float' });
  });

  it('takes the request id from the body when the header is missing', async () => {
    const { client } = await setup((_req, res) => json(res, 200, { ...ok, request_id: 'rid-from-body' }));
    expect((await client.embed(request)).requestId).toBe('rid-from-body');
  });

  it('retries a 429 once, after the delay its Retry-After asked for, and returns the success', async () => {
    const waits: number[] = [];
    const { client, server } = await setup(
      (_req, res, _s, n) =>
        n === 1
          ? json(res, 429, { error: { code: 'limit_requests', message: 'Requests rate limit exceeded' }, request_id: 'r1' }, { 'retry-after': '2' })
          : json(res, 200, ok, { 'x-request-id': RID }),
      { retry: { sleep: async (ms) => void waits.push(ms) } },
    );
    expect((await client.embed(request)).requestId).toBe(RID);
    expect(server.requests).toHaveLength(2);
    expect(waits).toEqual([2_000]);
  });

  it('retries when the connection is reset before any answer, then succeeds', async () => {
    const { client, server } = await setup((_req, res, _s, n) => (n === 1 ? res.socket?.destroy() : json(res, 200, ok)));
    expect((await client.embed(request)).response.data).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
  });

  it('retries 408, 409 and 5xx answers until retries run out, then reports the last one', async () => {
    const statuses = [408, 409, 503];
    const { client, server } = await setup((_req, res, _s, n) => json(res, statuses[n - 1] ?? 500, { code: 'ServiceUnavailable', message: 'later', request_id: RID }));
    await expect(client.embed(request)).rejects.toMatchObject({ status: 503, code: 'ServiceUnavailable', requestId: RID, retryable: true });
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a 400 and maps the compat envelope with code, param, type and request id', async () => {
    const { client, server } = await setup((_req, res) =>
      json(res, 400, { error: { code: 'InvalidParameter', param: 'dimensions', message: 'dimensions must be one of 64, 128', type: 'invalid_request_error' }, request_id: RID }),
    );
    const err = await client.embed(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeApiError);
    expect(err).toMatchObject({ status: 400, code: 'InvalidParameter', param: 'dimensions', type: 'invalid_request_error', requestId: RID });
    expect(server.requests).toHaveLength(1);
  });

  it('reads a native envelope too, with the header request id when the body has none', async () => {
    const { client } = await setup((_req, res) => json(res, 403, { code: 'Model.AccessDenied', message: 'Model access denied.' }, { 'x-request-id': RID }));
    await expect(client.embed(request)).rejects.toMatchObject({ status: 403, code: 'Model.AccessDenied', message: 'Model access denied.', requestId: RID });
  });

  it('fails with invalid_response, without retrying, when a 200 body is not JSON', async () => {
    const { client, server } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': RID });
      res.end('{"object":"list","data":[{"embedd');
    });
    const err = await client.embed(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeResponseError);
    expect(err).toMatchObject({ code: 'invalid_response', status: 200, requestId: RID, retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('fails with invalid_response when a 200 body has the wrong shape', async () => {
    const { client } = await setup((_req, res) => json(res, 200, { object: 'list', data: [{ embedding: 'AAAA', index: 0 }] }));
    await expect(client.embed(request)).rejects.toMatchObject({ code: 'invalid_response', message: expect.stringMatching(/data\.0\.embedding/) });
  });

  it('times out a hanging answer with DashScopeTimeoutError, does not retry it, and cancels the request', async () => {
    const { client, server } = await setup(() => undefined, { timeoutMs: 300 });
    await expect(client.embed(request)).rejects.toBeInstanceOf(DashScopeTimeoutError);
    expect(server.requests).toHaveLength(1);
    expect((await server.settled(1)).aborted).toBe(true);
  });

  it('cancels the upstream request when the caller aborts, with DashScopeAbortedError', async () => {
    const { client, server } = await setup(() => undefined);
    const controller = new AbortController();
    const call = client.embed(request, { signal: controller.signal });
    await server.arrived(1);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(DashScopeAbortedError);
    expect((await server.settled(1)).aborted).toBe(true);
  });

  it('fails with missing_api_key, without a request, when built without a key', async () => {
    const { client, server } = await setup(() => undefined, { apiKey: '' });
    await expect(client.embed(request)).rejects.toMatchObject({ code: 'missing_api_key' });
    expect(server.requests).toHaveLength(0);
  });

  it('keeps a path prefix of the configured origin, as chat does', async () => {
    const { server } = await setup((_req, res) => json(res, 200, ok));
    const client = new DashScopeClient({ origin: `${server.url}/gateway`, apiKey: 'sk-test-key', timeoutMs: 5_000, maxRetries: 0 });
    clients.push(client);
    await client.embed(request);
    expect(server.requests[0]?.path).toBe('/gateway/compatible-mode/v1/embeddings');
  });
});
