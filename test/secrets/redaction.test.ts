// No secret handed to the layer comes back out: the logger replaces every field that names a secret, and no
// error body of chat-stream or submit-task echoes the Authorization header it was sent, right key or wrong.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../functions/submit-task/index.ts';
import { createLogger } from '../../shared/log/logger.ts';
import { startChatStack, type ChatStack } from '../chat/harness.ts';
import { REHEARSAL_CREDENTIALS } from '../../dev/cloud/standins.ts';
import { FakeDashScope } from '../tasks/fake-dashscope.ts';
import { createTaskHarness, type TaskHarness } from '../tasks/harness.ts';
import { OTHER_TEST_CLIENT_KEY, TEST_CLIENT_KEY, TEST_DASHSCOPE_KEY } from '../support/test-secrets.ts';

/** A secret shows whole, or by a long enough piece to be recognised (a short prefix may be echoed, 12 chars not). */
function expectNoneOf(text: string, secrets: readonly string[]): void {
  for (const s of secrets) {
    expect(text).not.toContain(s);
    expect(text).not.toContain(s.slice(0, 12));
    expect(text).not.toContain(s.slice(-12));
  }
}

describe('the logger', () => {
  it('redacts every field that names a secret, at the top, nested, in lists and in child keys', () => {
    const lines: string[] = [];
    const log = createLogger('debug', { DASHSCOPE_API_KEY: TEST_DASHSCOPE_KEY }, (l) => lines.push(l)).child({ clientApiKey: TEST_CLIENT_KEY });
    const secret = REHEARSAL_CREDENTIALS.accessKeySecret;
    log.debug('config', { config: { CLIENT_API_KEYS: [TEST_CLIENT_KEY, OTHER_TEST_CLIENT_KEY], ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret, ALIBABA_CLOUD_SECURITY_TOKEN: REHEARSAL_CREDENTIALS.securityToken } });
    log.info('request', { headers: { Authorization: `Bearer ${TEST_CLIENT_KEY}`, 'x-api-key': OTHER_TEST_CLIENT_KEY, 'x-acs-signature': secret } });
    log.warn('credentials', { credentials: [{ accessKeyId: 'STS.rehearsal-key', accessKeySecret: secret, securityToken: REHEARSAL_CREDENTIALS.securityToken }] });
    log.error('upstream', { error: Object.assign(new Error('refused'), { apiKey: TEST_DASHSCOPE_KEY, password: secret }), api_key: TEST_DASHSCOPE_KEY });
    expect(lines).toHaveLength(4);
    expectNoneOf(lines.join('\n'), [TEST_CLIENT_KEY, OTHER_TEST_CLIENT_KEY, TEST_DASHSCOPE_KEY, secret, REHEARSAL_CREDENTIALS.securityToken]);
    const [config, request, credentials] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(config).toMatchObject({ DASHSCOPE_API_KEY: '[redacted]', clientApiKey: '[redacted]', config: { CLIENT_API_KEYS: '[redacted]', ALIBABA_CLOUD_ACCESS_KEY_SECRET: '[redacted]' } });
    expect(request).toMatchObject({ headers: { Authorization: '[redacted]', 'x-api-key': '[redacted]', 'x-acs-signature': '[redacted]' } });
    // what is not a secret stays, so the line still says whose credentials they were
    expect(credentials).toMatchObject({ credentials: [{ accessKeyId: 'STS.rehearsal-key', accessKeySecret: '[redacted]' }] });
  });
});

describe('error bodies', () => {
  const wrong = OTHER_TEST_CLIENT_KEY;
  /** Requests that each end in an error, some with the right key and some with a wrong one. */
  const failing = (path: (p: string) => string) => [
    { method: 'POST', path: path('chat'), auth: `Bearer ${wrong}`, body: '{}' },
    { method: 'POST', path: path('chat'), auth: `Basic ${TEST_CLIENT_KEY}`, body: '{}' },
    { method: 'POST', path: path('chat'), auth: `Bearer ${TEST_CLIENT_KEY} ${wrong}`, body: '{}' },
    { method: 'POST', path: path('chat'), auth: `Bearer ${TEST_CLIENT_KEY}`, body: '{"model": ' },
    { method: 'POST', path: path('chat'), auth: `Bearer ${TEST_CLIENT_KEY}`, body: JSON.stringify({ model: 'no-such-model', messages: [] }) },
    { method: 'GET', path: '/v1/no-such-route', auth: `Bearer ${TEST_CLIENT_KEY}` },
    { method: 'PUT', path: path('chat'), auth: `Bearer ${TEST_CLIENT_KEY}`, body: '{}' },
    { method: 'GET', path: path('one'), auth: `Bearer ${TEST_CLIENT_KEY}` },
  ];
  const send = async (base: string, r: ReturnType<typeof failing>[number]) => {
    const res = await fetch(base + r.path, { method: r.method, headers: { authorization: r.auth, 'content-type': 'application/json' }, ...(r.body ? { body: r.body } : {}) });
    return { status: res.status, text: await res.text() };
  };

  describe('of chat-stream', () => {
    let stack: ChatStack;
    beforeAll(async () => {
      stack = await startChatStack({ env: { CLIENT_API_KEYS: TEST_CLIENT_KEY } });
    });
    afterAll(async () => stack?.close());

    it('never echo the Authorization header, and the log lines carry no key either', async () => {
      const requests = failing((p) => (p === 'chat' ? '/v1/chat/completions' : '/v1/models/no-such-model'));
      for (const r of requests) {
        const { status, text } = await send(stack.url, r);
        expect(status, `${r.method} ${r.path}`).toBeGreaterThanOrEqual(400);
        expectNoneOf(text, [TEST_CLIENT_KEY, wrong, stack.emu.apiKey]);
      }
      expect(stack.logLines.length).toBeGreaterThanOrEqual(requests.length);
      expectNoneOf(stack.logLines.join('\n'), [TEST_CLIENT_KEY, wrong, stack.emu.apiKey]);
    });
  });

  describe('of submit-task', () => {
    let h: TaskHarness;
    let server: Server;
    let base: string;
    beforeAll(async () => {
      h = createTaskHarness(new FakeDashScope(), { CLIENT_API_KEYS: TEST_CLIENT_KEY });
      server = createServer((req, res) => void createHttpHandler(h.deps)(req, res));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((r) => server.close(r));
      h.close();
    });

    it('never echo the Authorization header', async () => {
      for (const r of failing((p) => (p === 'chat' ? '/v1/tasks' : '/v1/tasks/no-such-task'))) {
        const { status, text } = await send(base, r);
        expect(status, `${r.method} ${r.path}`).toBeGreaterThanOrEqual(400);
        expectNoneOf(text, [TEST_CLIENT_KEY, wrong]);
      }
    });
  });
});
