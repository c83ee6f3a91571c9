// The client's native task calls against scripted local servers: paths and headers,
// zod-parsed answers, the retry rules of creates (never re-sent once they may have arrived) and typed failures.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DashScopeAbortedError,
  DashScopeAmbiguousError,
  DashScopeApiError,
  DashScopeConnectionError,
  DashScopeResponseError,
  DashScopeTimeoutError,
} from '../../shared/dashscope/errors.ts';
import { formatListTime, taskServicePath } from '../../shared/dashscope/tasks.ts';
import { json } from './tiny-server.ts';
import { clientHarness } from './client-harness.ts';

const RID = '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b';
const TASK = '0385dc79-5ff8-4d82-bcb6-xxxxxx';
const { servers, setup, closeAll } = clientHarness();

afterEach(closeAll);

const created = { output: { task_status: 'PENDING', task_id: TASK }, request_id: RID };
const t2i = { model: 'wan2.2-t2i-flash', input: { prompt: 'a red fox' }, parameters: { size: '1024*1024', n: 1 } };

describe('createTask', () => {
  it('posts to the service path with X-DashScope-Async: enable and returns task id, status and request id', async () => {
    const { server, client } = await setup((_req, res) => json(res, 200, created, { 'x-request-id': RID }));
    expect(await client.createTask('text2image', t2i)).toEqual({ taskId: TASK, status: 'PENDING', requestId: RID });
    const seen = server.requests[0]!;
    expect([seen.method, seen.path]).toEqual(['POST', '/api/v1/services/aigc/text2image/image-synthesis']);
    expect(seen.headers['x-dashscope-async']).toBe('enable');
    expect(seen.headers.authorization).toBe('Bearer sk-test-key');
    expect(JSON.parse(seen.body.toString())).toEqual(t2i);
  });

  it('sends per-call headers only on the calls that asked for them', async () => {
    const task = { output: { task_id: TASK, task_status: 'RUNNING' }, request_id: RID };
    const { server, client } = await setup((req, res) => json(res, 200, req.method === 'POST' ? created : task));
    await client.createTask('text2image', t2i);
    await client.getTask(TASK);
    await client.getTask(TASK);
    await client.createTask('text2image', t2i);
    expect(server.requests.map((r) => r.headers['x-dashscope-async'])).toEqual(['enable', undefined, undefined, 'enable']);
    expect(server.requests.map((r) => r.headers['content-type'])).toEqual(['application/json', undefined, undefined, 'application/json']);
    expect(server.requests.every((r) => r.headers.authorization === 'Bearer sk-test-key')).toBe(true);
  });

  it('maps endpoint names and service paths, and refuses anything else', () => {
    expect(taskServicePath('video-synthesis')).toBe('/api/v1/services/aigc/video-generation/video-synthesis');
    expect(taskServicePath('aigc/image2image/image-synthesis')).toBe('/api/v1/services/aigc/image2image/image-synthesis');
    expect(taskServicePath('/api/v1/services/aigc/x/y')).toBe('/api/v1/services/aigc/x/y');
    expect(() => taskServicePath('../tasks')).toThrow(TypeError);
    expect(() => taskServicePath('aigc/../../x')).toThrow(TypeError);
    expect(() => taskServicePath('http://evil/x')).toThrow(TypeError);
  });

  it('re-sends after a retryable status (DashScope refused it, so nothing was created)', async () => {
    const { server, client } = await setup((_req, res, _s, n) =>
      n === 1 ? json(res, 500, { code: 'InternalError', message: 'An internal error has occured' }) : json(res, 200, created),
    );
    expect((await client.createTask('text2image', t2i)).taskId).toBe(TASK);
    expect(server.requests).toHaveLength(2);
  });

  it('re-sends after a refused connection, which certainly did not reach DashScope', async () => {
    const { server, client, events } = await setup(() => undefined);
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const err = await client.createTask('text2image', t2i).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeConnectionError);
    expect(events.filter((e) => e.kind === 'retry')).toHaveLength(2);
  });

  it('throws DashScopeAmbiguousError, without re-sending, when the connection drops after the request was sent', async () => {
    const { server, client, events } = await setup((_req, res) => res.socket?.destroy());
    const err = await client.createTask('text2image', t2i).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeAmbiguousError);
    const a = err as DashScopeAmbiguousError;
    expect(a.request).toMatchObject({ method: 'POST', path: '/api/v1/services/aigc/text2image/image-synthesis', model: 'wan2.2-t2i-flash', attempts: 1 });
    expect(a.request.bodySha256).toBe(createHash('sha256').update(server.requests[0]!.body).digest('hex'));
    expect(a.request.sentAt.getTime()).toBeLessThanOrEqual(a.request.failedAt.getTime());
    expect(a.cause).toBeInstanceOf(DashScopeConnectionError);
    expect(a.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'retry')).toHaveLength(0);
  });

  it('throws DashScopeAmbiguousError on a timeout after sending, and cancels the request', async () => {
    const { server, client } = await setup(() => undefined, { timeoutMs: 300 });
    const err = await client.createTask('text2image', t2i).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeAmbiguousError);
    expect((err as Error).cause).toBeInstanceOf(DashScopeTimeoutError);
    expect(server.requests).toHaveLength(1);
    expect((await server.settled(1)).aborted).toBe(true);
  });

  it('throws DashScopeAmbiguousError when DashScope answers 200 with a body it cannot read', async () => {
    const { server, client } = await setup((_req, res) => json(res, 200, { output: {} }));
    const err = await client.createTask('text2image', t2i).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeAmbiguousError);
    expect((err as Error).cause).toBeInstanceOf(DashScopeResponseError);
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a 400, and throws the plain API error (nothing was created)', async () => {
    const { server, client } = await setup((_req, res) =>
      json(res, 403, { code: 'AccessDenied', message: 'current user api does not support synchronous calls', request_id: RID }),
    );
    const err = await client.createTask('text2image', t2i).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeApiError);
    expect(err).toMatchObject({ status: 403, code: 'AccessDenied', requestId: RID });
    expect(server.requests).toHaveLength(1);
  });

  it('throws DashScopeAbortedError without sending when the signal has already fired', async () => {
    const { server, client } = await setup((_req, res) => json(res, 200, created));
    await expect(client.createTask('text2image', t2i, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(DashScopeAbortedError);
    expect(server.requests).toHaveLength(0);
  });
});

describe('getTask / cancelTask / listTasks', () => {
  it('parses a FAILED task whose error sits inside output', async () => {
    const { server, client } = await setup((_req, res) =>
      json(res, 200, {
        request_id: RID,
        output: { task_id: TASK, task_status: 'FAILED', submit_time: '2026-02-10 10:00:00.000', code: 'InvalidParameter.FileDownload', message: 'download failed' },
      }),
    );
    const t = await client.getTask(TASK);
    expect(server.requests[0]!.path).toBe(`/api/v1/tasks/${TASK}`);
    expect(t.requestId).toBe(RID);
    expect(t.output).toMatchObject({ task_status: 'FAILED', code: 'InvalidParameter.FileDownload', message: 'download failed' });
  });

  it('parses image results with a partial failure, and usage', async () => {
    const { client } = await setup((_req, res) =>
      json(res, 200, {
        request_id: RID,
        output: {
          task_id: TASK,
          task_status: 'SUCCEEDED',
          results: [{ code: 'DataInspectionFailed', message: 'refused' }, { url: 'https://dashscope-result-bj.oss-cn-beijing.aliyuncs.com/1.png?Expires=1' }],
          task_metrics: { TOTAL: 2, SUCCEEDED: 1, FAILED: 1 },
        },
        usage: { image_count: 1 },
      }),
    );
    const t = await client.getTask(TASK);
    expect(t.output.results).toEqual([{ code: 'DataInspectionFailed', message: 'refused' }, { url: 'https://dashscope-result-bj.oss-cn-beijing.aliyuncs.com/1.png?Expires=1' }]);
    expect(t.usage).toEqual({ image_count: 1 });
  });

  it('retries a 2xx-less reset on a query (reads are safe to repeat)', async () => {
    const { server, client } = await setup((_req, res, _s, n) =>
      n === 1 ? res.socket?.destroy() : json(res, 200, { request_id: RID, output: { task_id: TASK, task_status: 'RUNNING' } }),
    );
    expect((await client.getTask(TASK)).output.task_status).toBe('RUNNING');
    expect(server.requests).toHaveLength(2);
  });

  it('rejects a task answer of the wrong shape with invalid_response, without retrying', async () => {
    const { server, client } = await setup((_req, res) => json(res, 200, { output: { task_status: 42 } }, { 'x-request-id': RID }));
    const err = await client.getTask(TASK).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeResponseError);
    expect(err).toMatchObject({ code: 'invalid_response', requestId: RID });
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a task id that is not a single path segment, without a request', async () => {
    const { server, client } = await setup((_req, res) => json(res, 200, {}));
    await expect(client.getTask('../fine-tunes')).rejects.toThrow(TypeError);
    expect(server.requests).toHaveLength(0);
  });

  it('cancels with POST …/cancel and surfaces UnsupportedOperation for a task past PENDING', async () => {
    const { server, client } = await setup((_req, res, _s, n) =>
      n === 1
        ? json(res, 200, { request_id: RID })
        : json(res, 400, { code: 'UnsupportedOperation', message: 'Failed to cancel the task, please confirm if the task is in PENDING status.', request_id: RID }),
    );
    expect(await client.cancelTask(TASK)).toEqual({ requestId: RID });
    expect([server.requests[0]!.method, server.requests[0]!.path]).toEqual(['POST', `/api/v1/tasks/${TASK}/cancel`]);
    await expect(client.cancelTask(TASK)).rejects.toMatchObject({ status: 400, code: 'UnsupportedOperation' });
  });

  it('lists tasks with the window in UTC+8 and passes wire-format query values through', async () => {
    const { server, client } = await setup((_req, res) =>
      json(res, 200, { request_id: RID, total: 1, total_page: 1, page_no: 1, page_size: 10, data: [{ task_id: TASK, status: 'SUCCEEDED', model_name: 'wan2.2-t2i-flash', gmt_create: 1770000000000 }] }),
    );
    const r = await client.listTasks({ start_time: new Date('2026-02-10T16:30:05Z'), end_time: '20260211093000', model_name: 'wan2.2-t2i-flash', page_no: 2, page_size: 10 });
    expect(r.data?.[0]?.task_id).toBe(TASK);
    const url = new URL(server.requests[0]!.path, 'http://x');
    expect(url.pathname).toBe('/api/v1/tasks');
    expect(Object.fromEntries(url.searchParams)).toEqual({ start_time: '20260211003005', end_time: '20260211093000', model_name: 'wan2.2-t2i-flash', page_no: '2', page_size: '10' });
    expect(formatListTime(new Date('2026-12-31T23:59:59Z'))).toBe('20270101075959');
  });
});
