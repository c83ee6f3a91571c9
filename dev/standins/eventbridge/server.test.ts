// The stand-in's own checks, probed with hand-built requests: what the SDK never sends wrong on its own
// (a stale date, a header changed after signing, a wrong version or content type) must still be refused.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startEventBridgeStandin, STANDIN_ACCESS_KEY, type EventBridgeStandin } from './server.ts';
import { sign, stringToSign } from './signature.ts';
import { PUT_EVENTS_CONTENT_TYPE, PUT_EVENTS_PATH } from './wire.ts';

let standin: EventBridgeStandin | undefined;
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

const event = { id: 'e1', source: 'dashscope-fc', type: 'task.submitted', specversion: '1.0', aliyuneventbusname: 'default', data: { a: 1 } };

async function put(s: EventBridgeStandin, tweak: (h: Record<string, string>) => void = () => {}, signedTweak: (h: Record<string, string>) => void = () => {}) {
  const headers: Record<string, string> = {
    date: new Date().toUTCString(),
    'content-type': PUT_EVENTS_CONTENT_TYPE,
    'x-eventbridge-version': '2015-06-06',
    'x-acs-signature-nonce': 'nonce-1',
    'x-acs-signature-method': 'HMAC-SHA1',
    'x-acs-signature-version': '1.0',
  };
  signedTweak(headers);
  const toSign = stringToSign('POST', PUT_EVENTS_PATH, new URLSearchParams(), headers);
  headers.authorization = `acs:${STANDIN_ACCESS_KEY.accessKeyId}:${sign(toSign, STANDIN_ACCESS_KEY.accessKeySecret)}`;
  tweak(headers);
  return new Promise<{ status: number; body: { code?: string; FailedEntryCount?: number } }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.port, method: 'POST', path: PUT_EVENTS_PATH, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { code?: string } }));
    });
    req.on('error', reject);
    req.end(JSON.stringify([event]));
  });
}

describe('EventBridge stand-in', () => {
  it('accepts a request signed as the SDK signs it', async () => {
    standin = await startEventBridgeStandin();
    expect(await put(standin)).toMatchObject({ status: 200, body: { FailedEntryCount: 0 } });
    expect(standin.received().map((e) => e.id)).toEqual(['e1']);
  });

  it('refuses a request whose signed x-acs header changed after signing', async () => {
    standin = await startEventBridgeStandin();
    expect(await put(standin, (h) => (h['x-acs-signature-nonce'] = 'nonce-2'))).toMatchObject({ status: 403, body: { code: 'SignatureDoesNotMatch' } });
  });

  it('refuses a correctly signed request with a stale date', async () => {
    standin = await startEventBridgeStandin();
    const stale = (h: Record<string, string>) => (h.date = new Date(Date.now() - 3_600_000).toUTCString());
    expect(await put(standin, () => {}, stale)).toMatchObject({ status: 403, body: { code: 'RequestTimeTooSkewed' } });
  });

  it('refuses the wrong API version and content type', async () => {
    standin = await startEventBridgeStandin();
    expect(await put(standin, () => {}, (h) => (h['x-eventbridge-version'] = '2020-04-01'))).toMatchObject({ status: 400, body: { code: 'InvalidArgument' } });
    expect(await put(standin, () => {}, (h) => (h['content-type'] = 'application/json'))).toMatchObject({ status: 400, body: { code: 'InvalidArgument' } });
    expect(standin.received()).toEqual([]);
  });
});
