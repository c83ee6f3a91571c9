// The rehearsal's function instances (dev/cloud): a built-in handler in its own process gets FC's payload as
// a Buffer and a context with the role credentials; a web function gets FC's headers, unbuffered.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEventFunction } from '../../dev/cloud/event-function-process.ts';
import { REHEARSAL_CREDENTIALS } from '../../dev/cloud/standins.ts';
import { FunctionInvocationError, startWebFunction } from '../../dev/cloud/web-function-process.ts';
import type { FunctionSpec } from '../../dev/runtime/s-yaml.ts';
import { freePort } from '../e2e/runtime-process.ts';

const fixtures = join(import.meta.dirname, 'fixtures', 'cloud-functions');
const spec = (over: Partial<FunctionSpec>): FunctionSpec => ({
  resource: 'echo',
  functionName: 'dashscope-fc-echo',
  runtime: 'nodejs20',
  code: './dist/echo',
  layers: [],
  handler: 'index.handler',
  timeoutS: 5,
  maxAsyncRetryAttempts: 1,
  triggers: [],
  ...over,
});
const where = { region: 'cn-beijing', accountId: '1234567890123456', credentials: REHEARSAL_CREDENTIALS, output: () => undefined };
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup) await c();
});

describe('rehearsal function instances', () => {
  it('hands a built-in handler the payload as a Buffer and a context with the credentials, in the function environment', async () => {
    const fn = await startEventFunction({ ...where, spec: spec({}), codeDir: join(fixtures, 'echo-event'), env: { PATH: process.env.PATH, FC_FUNCTION_NAME: 'dashscope-fc-echo' } });
    cleanup.push(() => fn.stop());
    const answer = await fn.event(Buffer.from('{"a":1}'), { requestId: 'req-1', retryCount: 2 });
    expect(answer).toEqual({
      isBuffer: true,
      body: { a: 1 },
      context: { requestId: 'req-1', retryCount: 2, region: 'cn-beijing', accountId: where.accountId, credentials: REHEARSAL_CREDENTIALS },
      fnName: 'dashscope-fc-echo',
    });
    await expect(fn.event(Buffer.from('{"fail":true}'), { requestId: 'req-2' })).rejects.toThrow(/TypeError: asked to fail/);
  });

  it("proxies HTTP to a web function with FC's headers and without buffering, and sends event calls as POST /invoke", async () => {
    const port = await freePort();
    const web = await startWebFunction({
      ...where,
      // the layer's absolute node path, as s.yaml names it, runs the binary given
      spec: spec({ runtime: 'custom.debian12', customRuntime: { command: ['/opt/nodejs22/bin/node'], args: ['server.mjs'], port: 9000 } }),
      codeDir: join(fixtures, 'echo-web'),
      env: { PATH: process.env.PATH, FC_CUSTOM_LISTEN_PORT: String(port) },
      port,
      nodeBinary: process.execPath,
    });
    cleanup.push(() => web.stop());
    const front: Server = createServer((req, res) => {
      req.headers['x-fc-request-id'] = 'req-http';
      void web.http(req, res);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => {
      const closed = new Promise<void>((r) => front.close(() => r()));
      front.closeAllConnections();
      return closed;
    });
    const base = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;

    // a client's own x-fc-* headers never reach the instance: only FC sets them
    const spoofed = { 'x-fc-access-key-id': 'client-key', 'x-fc-control-path': '/invoke', 'x-fc-retry-count': '7' };
    const echoed = (await (await fetch(`${base}/v1/x?q=1`, { headers: spoofed })).json()) as { headers: Record<string, string>; url: string };
    expect(echoed.url).toBe('/v1/x?q=1');
    expect(echoed.headers).toMatchObject({
      'x-fc-control-path': '/http-invoke',
      'x-fc-request-id': 'req-http',
      'x-fc-function-name': 'dashscope-fc-echo',
      'x-fc-access-key-id': REHEARSAL_CREDENTIALS.accessKeyId,
      'x-fc-access-key-secret': REHEARSAL_CREDENTIALS.accessKeySecret,
      'x-fc-security-token': REHEARSAL_CREDENTIALS.securityToken,
    });
    expect(echoed.headers['x-fc-retry-count']).toBeUndefined();

    const reader = (await fetch(`${base}/stream`)).body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    // the function holds its last chunk back 300 ms: a buffering proxy would deliver both together
    expect(first).toBe('data: 1\n\n');
    await reader.cancel();

    const event = (await web.event(Buffer.from('{"a":1}'), { requestId: 'req-ev', retryCount: 1 })) as { body: unknown; headers: Record<string, string> };
    expect(event.body).toEqual({ a: 1 });
    expect(event.headers).toMatchObject({ 'x-fc-control-path': '/invoke', 'x-fc-request-id': 'req-ev', 'x-fc-retry-count': '1' });
    await expect(web.event(Buffer.from('{"fail":true}'), { requestId: 'req-ev2' })).rejects.toBeInstanceOf(FunctionInvocationError);
  });
});
