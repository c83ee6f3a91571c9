// Our EventBridge client against the official SDK (same credentials, date and nonce: the same signed request,
// byte for byte) and against the stand-in: each failure keeps its kind, and no secret reaches an error.
import * as eventbridge from '@alicloud/eventbridge';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startEventBridgeStandin, STANDIN_ACCESS_KEY, type EventBridgeStandin } from '../../../dev/standins/eventbridge/server.ts';
import {
  EventBridgeCallError, EventBridgeClient, EventBridgeCredentialsError, type EventBridgeClientOptions, type EventBridgeCredentials, type OutgoingEvent,
} from './eventbridge-client.ts';
import { createRule, createTargets, deleteTargets, getRule, updateRule, type RuleTarget } from './event-rules-api.ts';

type SdkClass = typeof eventbridge.default.default;
// CommonJS flagged __esModule: Node hands its exports object over as `default`, vitest the class itself.
const sdkDefault: unknown = eventbridge.default;
const SdkClient: SdkClass = typeof sdkDefault === 'function' ? (sdkDefault as SdkClass) : (sdkDefault as { default: SdkClass }).default;

const PLAIN: EventBridgeCredentials = { accessKeyId: 'LTAItest0000000000001', accessKeySecret: 'test-secret-not-real-0001' };
const STS: EventBridgeCredentials = { accessKeyId: 'STS.test000000000001', accessKeySecret: 'sts-secret-not-real-0001', securityToken: 'sts-token-not-real-0001' };

interface Captured {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const servers: Server[] = [];
const standins: EventBridgeStandin[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => {
    s.closeAllConnections();
    s.close(() => r());
  })));
  await Promise.all(standins.splice(0).map((s) => s.close()));
});

/** A server that records each request and answers what the SDK expects of each path. */
async function capture(): Promise<{ endpoint: string; seen: Captured[] }> {
  const seen: Captured[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const answer = req.url === '/openapi/putEvents'
        ? { RequestId: 'r1', FailedEntryCount: 0, EntryList: (JSON.parse(body) as { id: string }[]).map((e) => ({ EventId: e.id, TraceId: 't' })) }
        : { RequestId: 'r1', EventBusName: 'bus-a', EventBusARN: 'acs:eventbridge:cn-hangzhou:1:eventbus/bus-a' };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const events: OutgoingEvent[] = [
  { id: 'task_1.task.submitted', source: 'dashscope-fc', type: 'task.submitted', subject: 'task_1', time: '2030-01-01T00:00:01.000Z', datacontenttype: 'application/json', dataJson: JSON.stringify({ taskId: 'task_1', n: 1, text: 'ünïcode ✓' }), busName: 'bus-a' },
  { id: 'task_2.task.failed', source: 'dashscope-fc', type: 'task.failed', subject: 'task_2', time: '2030-01-01T00:00:02.000Z', datacontenttype: 'application/json', dataJson: 'null', busName: 'bus-a' },
];

const sdkEvents = () => events.map((e) => new eventbridge.CloudEvent({
  id: e.id, source: e.source, type: e.type, specversion: '1.0', subject: e.subject, time: e.time, datacontenttype: e.datacontenttype,
  extensions: { aliyuneventbusname: e.busName }, data: Buffer.from(e.dataJson, 'utf8'),
}));

const target: RuleTarget = {
  id: 'fn', type: 'acs.fc.function', endpoint: 'acs:fc:cn-hangzhou:1:functions/fn', pushRetryStrategy: 'BACKOFF_RETRY',
  paramList: [{ resourceKey: 'InvocationType', form: 'CONSTANT', value: 'Async' }, { resourceKey: 'Body', form: 'ORIGINAL' }],
};
const sdkTarget = () => new eventbridge.TargetEntry({
  id: target.id, type: target.type, endpoint: target.endpoint, pushRetryStrategy: target.pushRetryStrategy,
  paramList: [new eventbridge.EBTargetParam({ resourceKey: 'InvocationType', form: 'CONSTANT', value: 'Async' }), new eventbridge.EBTargetParam({ resourceKey: 'Body', form: 'ORIGINAL' })],
});

// What the signature covers, and what the service reads besides: these must match the SDK's exactly.
const COMPARED = ['authorization', 'date', 'content-type', 'accept', 'x-eventbridge-version', 'x-eventbridge-regionid', 'x-acs-signature-nonce', 'x-acs-signature-method', 'x-acs-signature-version', 'x-acs-accesskey-id', 'x-acs-security-token'];
const compared = (h: IncomingHttpHeaders) => Object.fromEntries(COMPARED.map((k) => [k, h[k]]));

const calls: Array<{ name: string; sdk: (c: InstanceType<SdkClass>) => Promise<unknown>; ours: (c: EventBridgeClient) => Promise<unknown> }> = [
  { name: 'PutEvents', sdk: (c) => c.putEvents(sdkEvents()), ours: (c) => c.putEvents(events) },
  { name: 'GetEventBus', sdk: (c) => c.getEventBus(new eventbridge.GetEventBusRequest({ eventBusName: 'bus-a' })), ours: (c) => c.getEventBus('bus-a') },
  {
    name: 'CreateEventBus',
    sdk: (c) => c.createEventBus(new eventbridge.CreateEventBusRequest({ eventBusName: 'bus-a', description: 'task events' })),
    ours: (c) => c.createEventBus('bus-a', 'task events'),
  },
  { name: 'GetRule', sdk: (c) => c.getRule(new eventbridge.GetRuleRequest({ eventBusName: 'bus-a', ruleName: 'r-1' })), ours: (c) => getRule(c, 'bus-a', 'r-1') },
  {
    name: 'CreateRule',
    sdk: (c) => c.createRule(new eventbridge.CreateRuleRequest({ eventBusName: 'bus-a', description: 'd', ruleName: 'r-1', status: 'ENABLE', filterPattern: '{"source":["dashscope-fc"]}', targets: [sdkTarget()] })),
    ours: (c) => createRule(c, 'bus-a', { name: 'r-1', description: 'd', filterPattern: '{"source":["dashscope-fc"]}', targets: [target] }),
  },
  {
    name: 'UpdateRule',
    sdk: (c) => c.updateRule(new eventbridge.UpdateRuleRequest({ eventBusName: 'bus-a', ruleName: 'r-1', description: 'd', status: 'ENABLE', filterPattern: '{}' })),
    ours: (c) => updateRule(c, 'bus-a', { name: 'r-1', description: 'd', status: 'ENABLE', filterPattern: '{}' }),
  },
  {
    name: 'CreateTargets',
    sdk: (c) => c.createTargets(new eventbridge.CreateTargetsRequest({ eventBusName: 'bus-a', ruleName: 'r-1', targets: [sdkTarget()] })),
    ours: (c) => createTargets(c, 'bus-a', 'r-1', [target]),
  },
  {
    name: 'DeleteTargets',
    sdk: (c) => c.deleteTargets(new eventbridge.DeleteTargetsRequest({ eventBusName: 'bus-a', ruleName: 'r-1', targetIds: ['fn'] })),
    ours: (c) => deleteTargets(c, 'bus-a', 'r-1', ['fn']),
  },
];

describe('EventBridgeClient signs as the SDK does', () => {
  for (const [label, credentials] of [['access key', PLAIN], ['STS credentials', STS]] as const) {
    for (const call of calls) {
      it(`sends ${call.name} with ${label}: same authorization, signed headers and body as the SDK`, async () => {
        const { endpoint, seen } = await capture();
        const sdk = new SdkClient(new eventbridge.Config({ ...credentials, endpoint, protocol: 'http', regionId: 'cn-hangzhou' }));
        await call.sdk(sdk);
        const theirs = seen[0]!;
        // the same date and nonce as the SDK's request: everything else must follow from the credentials and body
        const ours = new EventBridgeClient({
          endpoint, protocol: 'http', regionId: 'cn-hangzhou', credentials: () => credentials,
          now: () => new Date(String(theirs.headers.date)), nonce: () => String(theirs.headers['x-acs-signature-nonce']),
        });
        await call.ours(ours);
        const mine = seen[1]!;
        expect([mine.method, mine.path]).toEqual([theirs.method, theirs.path]);
        expect(compared(mine.headers)).toEqual(compared(theirs.headers));
        expect(mine.headers.authorization).toMatch(new RegExp(`^acs:${credentials.accessKeyId.replace('.', '\\.')}:[A-Za-z0-9+/]{27}=$`));
        expect(mine.headers['x-acs-security-token']).toBe(credentials.securityToken);
        expect(mine.body).toBe(theirs.body);
      });
    }
  }

  it('refuses an endpoint with a scheme, as the SDK does', () => {
    expect(() => new EventBridgeClient({ endpoint: 'https://x.eventbridge.cn-hangzhou.aliyuncs.com', credentials: () => PLAIN })).toThrow(/bare host/);
  });
});

describe('EventBridgeClient failures against the stand-in', () => {
  async function over(options: Partial<EventBridgeClientOptions> = {}, standinOptions: Parameters<typeof startEventBridgeStandin>[0] = {}) {
    const standin = await startEventBridgeStandin({ buses: ['bus-a'], ...standinOptions });
    standins.push(standin);
    return { standin, client: new EventBridgeClient({ endpoint: standin.endpoint, protocol: 'http', credentials: () => STANDIN_ACCESS_KEY, timeoutMs: 2_000, ...options }) };
  }
  const failure = (p: Promise<unknown>) => p.then(() => expect.unreachable('the call succeeded'), (e: unknown) => e as EventBridgeCallError);
  const secrets = [STANDIN_ACCESS_KEY.accessKeySecret, STS.accessKeySecret, STS.securityToken!, PLAIN.accessKeySecret];
  const assertNoSecret = (err: unknown) => {
    const seen = [String(err), (err as Error).message, JSON.stringify(err), String((err as Error).cause ?? ''), (err as Error).stack ?? ''].join('\n');
    for (const s of secrets) expect(seen).not.toContain(s);
  };

  it('reports per-entry failures as entries, not as a failed call', async () => {
    const { standin, client } = await over();
    standin.faults.add({ kind: 'fail-entries', ids: [events[1]!.id], code: 'InternalError' });
    const outcome = await client.putEvents(events);
    expect(outcome.entries).toEqual([{ eventId: events[0]!.id }, { eventId: events[1]!.id, errorCode: 'InternalError', errorMessage: 'stand-in: entry failed' }]);
  });

  it.each([
    [429, 'TooManyRequests', 'throttled'],
    [500, 'InternalError', 'unavailable'],
    [503, 'ServiceUnavailable', 'unavailable'],
  ] as const)('sorts a %i %s as %s, retryable, with the request id', async (status, code, kind) => {
    const { standin, client } = await over();
    standin.faults.add({ kind: 'status', status, code });
    const err = await failure(client.putEvents(events));
    expect(err).toBeInstanceOf(EventBridgeCallError);
    expect(err).toMatchObject({ kind, code, retryable: true, requestId: expect.any(String) });
    expect(err.message).toBe(`PutEvents failed (${kind} ${code}, request ${err.requestId})`);
  });

  it('sorts an answer that is not JSON, or not the shape of a PutEvents answer, as a network failure', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (seen.length === 1) res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
      else if (seen.length === 2) res.writeHead(200).end('{"RequestId": "r", "EntryList": [');
      else res.writeHead(200).end(JSON.stringify({ RequestId: 'r', FailedEntryCount: 0, EntryList: [] }));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = new EventBridgeClient({ endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`, protocol: 'http', credentials: () => PLAIN });
    expect(await failure(client.putEvents(events))).toMatchObject({ kind: 'network', code: undefined, retryable: true });
    expect(await failure(client.putEvents(events))).toMatchObject({ kind: 'network', code: 'UnreadableAnswer', retryable: true });
    expect(await failure(client.putEvents(events))).toMatchObject({ kind: 'network', code: 'UnreadableAnswer', retryable: true });
  });

  it('sorts expired STS credentials as expired-credentials (retryable with fresh ones), and a wrong secret as auth (not retryable)', async () => {
    const expired = { ...STS, expiresAt: Date.now() - 1 };
    const { client } = await over({ credentials: () => STS }, { credentials: [expired] });
    const err = await failure(client.putEvents(events));
    expect(err).toMatchObject({ kind: 'expired-credentials', code: 'StsAccessIdExpired', retryable: true });
    assertNoSecret(err);
    const wrong = await over({ credentials: () => ({ ...STANDIN_ACCESS_KEY, accessKeySecret: PLAIN.accessKeySecret }) });
    const denied = await failure(wrong.client.getEventBus('bus-a'));
    expect(denied).toMatchObject({ action: 'GetEventBus', kind: 'auth', code: 'SignatureDoesNotMatch', retryable: false });
    assertNoSecret(denied);
  });

  it('sorts a silent service as a network failure after the idle timeout, and nothing listening likewise', async () => {
    const { standin, client } = await over({ timeoutMs: 200 });
    standin.faults.add({ kind: 'latency', ms: 1_000 });
    const slow = await failure(client.putEvents(events));
    expect(slow).toMatchObject({ kind: 'network', retryable: true });
    assertNoSecret(slow);
    const closed = new EventBridgeClient({ endpoint: '127.0.0.1:1', protocol: 'http', credentials: () => STS });
    const refused = await failure(closed.getEventBus('bus-a'));
    expect(refused).toMatchObject({ kind: 'network' });
    assertNoSecret(refused);
  });

  it('fails with EventBridgeCredentialsError when the provider fails, sending nothing and keeping its message out', async () => {
    const { standin, client } = await over({ credentials: () => { throw new Error(`provider broke holding ${STS.securityToken}`); } });
    const err = (await client.putEvents(events).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(EventBridgeCredentialsError);
    expect(err.message).not.toContain(STS.securityToken);
    expect(standin.requests()).toEqual([]);
  });

  it('reads a bus, says when there is none, and creates one once ("exists" the second time)', async () => {
    const { standin, client } = await over({ regionId: 'cn-hangzhou' });
    expect(await client.getEventBus('bus-a')).toMatchObject({ name: 'bus-a', arn: `acs:eventbridge:cn-hangzhou:${standin.accountId}:eventbus/bus-a` });
    expect(await client.getEventBus('bus-b')).toBeUndefined();
    expect(await client.createEventBus('bus-b', 'task events')).toBe('created');
    expect(await client.createEventBus('bus-b', 'task events')).toBe('exists');
    expect(await client.getEventBus('bus-b')).toMatchObject({ name: 'bus-b', description: 'task events', createdAt: expect.any(Number) });
    expect(standin.buses()).toEqual(['bus-a', 'bus-b']);
  });
});
