// The stand-in's own checks, probed with hand-built requests: what the SDK never sends wrong on its own
// (a stale date, a header changed after signing, a wrong version or content type) must still be refused.
import * as eventbridge from '@alicloud/eventbridge';
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

async function put(
  s: EventBridgeStandin,
  tweak: (h: Record<string, string>) => void = () => {},
  signedTweak: (h: Record<string, string>) => void = () => {},
  { path = PUT_EVENTS_PATH, body = [event] }: { path?: string; body?: unknown } = {},
) {
  const headers: Record<string, string> = {
    date: new Date().toUTCString(),
    'content-type': PUT_EVENTS_CONTENT_TYPE,
    'x-eventbridge-version': '2015-06-06',
    'x-acs-signature-nonce': 'nonce-1',
    'x-acs-signature-method': 'HMAC-SHA1',
    'x-acs-signature-version': '1.0',
  };
  signedTweak(headers);
  const toSign = stringToSign('POST', path, new URLSearchParams(), headers);
  headers.authorization = `acs:${STANDIN_ACCESS_KEY.accessKeyId}:${sign(toSign, STANDIN_ACCESS_KEY.accessKeySecret)}`;
  tweak(headers);
  return new Promise<{ status: number; body: { code?: string; FailedEntryCount?: number } }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.port, method: 'POST', path, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { code?: string } }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
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

  it("answers the official SDK's own bus and query calls", async () => {
    type SdkClass = typeof eventbridge.default.default;
    const sdkDefault: unknown = eventbridge.default;
    const Sdk: SdkClass = typeof sdkDefault === 'function' ? (sdkDefault as SdkClass) : (sdkDefault as { default: SdkClass }).default;
    standin = await startEventBridgeStandin();
    const sdk = new Sdk(new eventbridge.Config({ ...STANDIN_ACCESS_KEY, endpoint: standin.endpoint, protocol: 'http' }));
    expect(await sdk.createEventBus(new eventbridge.CreateEventBusRequest({ eventBusName: 'bus-b', description: 'd' }))).toMatchObject({ eventBusARN: expect.stringContaining('eventbus/bus-b') });
    expect(await sdk.getEventBus(new eventbridge.GetEventBusRequest({ eventBusName: 'bus-b' }))).toMatchObject({ eventBusName: 'bus-b', description: 'd' });
    await sdk.putEvents([new eventbridge.CloudEvent({ id: 'e1', source: 's', type: 't', extensions: { aliyuneventbusname: 'bus-b' }, data: Buffer.from('{"a":1}') })]);
    const traces = await sdk.queryEventsByPeriod(new eventbridge.QueryEventsByPeriodRequest({ eventBusName: 'bus-b', eventSource: 's', startTime: 0, endTime: Date.now() + 1000, limit: 10 }));
    expect(traces.tracedEvents?.map((t) => [t.eventId, t.eventType])).toEqual([['e1', 't']]);
    const found = await sdk.queryEvents(new eventbridge.QueryEventsRequest({ eventBusName: 'bus-b', eventIds: ['e1'] }));
    expect(JSON.parse(found.eventMap!.e1!)).toMatchObject({ id: 'e1', data: { a: 1 } });
    expect(standin.requests().map((r) => [r.action, r.status])).toEqual([['createEventBus', 200], ['getEventBus', 200], ['putEvents', 200], ['queryEventsByPeriod', 200], ['queryEventsByEventIds', 200]]);
  });

  it('refuses a bus call sent with the PutEvents content type, and lists its buses on the control API', async () => {
    standin = await startEventBridgeStandin({ buses: ['a', 'b'] });
    const answer = await put(standin, () => {}, () => {}, { path: '/openapi/getEventBus', body: { EventBusName: 'a' } });
    expect(answer).toMatchObject({ status: 400, body: { code: 'InvalidArgument' } });
    const res = await fetch(`http://${standin.endpoint}/_standin/buses`);
    expect(await res.json()).toEqual({ buses: ['a', 'b'] });
  });
});
