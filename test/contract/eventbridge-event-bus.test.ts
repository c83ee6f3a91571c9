// Runs the EventBus contract against the EventBridge adapter over the wire-level stand-in (the real SDK
// signing real HTTP), plus what only EventBridge brings: batching, partial failures, STS, faults; and
// against the real service when EVENTBRIDGE_TEST_* and ALIBABA_CLOUD_* credentials are set.
import { afterEach, describe, expect, it } from 'vitest';
import { wireEventSize } from '../../dev/standins/eventbridge/event-size.ts';
import {
  startEventBridgeStandin, STANDIN_ACCESS_KEY, type EventBridgeStandin, type EventBridgeStandinOptions, type WireEvent,
} from '../../dev/standins/eventbridge/server.ts';
import {
  EventBridgeEventBus, EventBridgePublishError, type EventBridgeCredentials, type EventBridgeEventBusOptions,
} from '../../shared/adapters/eventbridge/eventbridge-event-bus.ts';
import { EventPublishError, type DomainEvent } from '../../shared/ports/event-bus.ts';
import { makeEvent, runEventBusContract } from './event-bus-contract.ts';

const BUS = 'dashscope-fc-test';

/** What a consumer of the bus gets back as a domain event: the CloudEvent without EventBridge's attributes. */
const asDomainEvent = (e: WireEvent): DomainEvent => {
  const { specversion, id, source, type, subject, time, datacontenttype, data } = e;
  return { specversion, id, source, type, subject, time, datacontenttype, data } as DomainEvent;
};

const standins: EventBridgeStandin[] = [];
async function standin(options: EventBridgeStandinOptions = {}): Promise<EventBridgeStandin> {
  const s = await startEventBridgeStandin({ buses: [BUS], ...options });
  standins.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(standins.splice(0).map((s) => s.close()));
});

const delays: number[] = [];
function busOver(s: EventBridgeStandin, options: Partial<EventBridgeEventBusOptions> = {}): EventBridgeEventBus {
  return new EventBridgeEventBus({
    endpoint: s.endpoint,
    protocol: 'http',
    busName: BUS,
    credentials: () => STANDIN_ACCESS_KEY,
    // Backoff is recorded, not slept, so retries stay fast and the delays can be checked.
    sleep: async (ms) => void delays.push(ms),
    random: () => 1,
    baseDelayMs: 10,
    ...options,
  });
}

runEventBusContract('EventBridgeEventBus over the EventBridge stand-in', {
  create: async () => {
    const s = await startEventBridgeStandin({ buses: [BUS] });
    return { bus: busOver(s), observed: async () => s.received().map(asDomainEvent), close: () => s.close() };
  },
});

describe('EventBridgeEventBus over the EventBridge stand-in', () => {
  afterEach(() => void delays.splice(0));

  it('sends CloudEvents carrying the bus name and the stable id, and the same id again on re-publish', async () => {
    const s = await standin();
    const event = makeEvent('task.persisted');
    await busOver(s).publish([event]);
    await busOver(s).publish([event]);
    const wire = s.received();
    expect(wire).toHaveLength(2);
    for (const e of wire) {
      expect(e).toMatchObject({ specversion: '1.0', id: event.id, source: 'dashscope-fc', type: 'task.persisted', subject: event.subject, time: event.time, aliyuneventbusname: BUS });
      expect(e.data).toEqual(event.data);
    }
  });

  it('retries only the failed entries of a partial failure, then succeeds', async () => {
    const s = await standin();
    const [a, b, c] = [makeEvent(), makeEvent(), makeEvent()];
    s.faults.add({ kind: 'fail-entries', ids: [b!.id], code: 'InternalError' });
    await busOver(s).publish([a!, b!, c!]);
    expect(s.requests().map((r) => r.eventIds)).toEqual([[a!.id, b!.id, c!.id], [b!.id]]);
    expect(s.received().map((e) => e.id)).toEqual([a!.id, c!.id, b!.id]);
  });

  it('throws EventPublishError naming the entries that keep failing, after a bounded number of attempts', async () => {
    const s = await standin();
    const [a, b] = [makeEvent(), makeEvent()];
    s.faults.add({ kind: 'fail-entries', ids: [b!.id], code: 'InternalError', times: 'always' });
    const error = await busOver(s, { maxAttempts: 3 }).publish([a!, b!]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventPublishError);
    expect(error).toBeInstanceOf(EventBridgePublishError);
    expect((error as EventBridgePublishError).failedEventIds).toEqual([b!.id]);
    expect((error as Error).message).toContain(b!.id);
    expect(s.requests()).toHaveLength(3);
    expect(delays).toEqual([10, 20]);
    expect(s.received().map((e) => e.id)).toEqual([a!.id]);
  });

  it('splits a batch over 256 KB into requests under the limit, in order', async () => {
    const s = await standin();
    const events = Array.from({ length: 5 }, () => makeEvent('task.succeeded', { data: { blob: 'y'.repeat(80_000) } }));
    await busOver(s).publish(events);
    const sizes = s.requests().map((r) => r.eventIds.length);
    expect(sizes.length).toBeGreaterThan(1);
    expect(sizes.reduce((n, k) => n + k, 0)).toBe(5);
    expect(s.received().map((e) => e.id)).toEqual(events.map((e) => e.id));
    let i = 0;
    for (const k of sizes) {
      const batch = s.received().slice(i, (i += k));
      expect(batch.reduce((n, e) => n + wireEventSize(e), 0)).toBeLessThanOrEqual(256 * 1024);
    }
  });

  it('refuses an event too large for a request on its own, before sending anything', async () => {
    const s = await standin();
    const huge = makeEvent('task.succeeded', { data: { blob: 'z'.repeat(270_000) } });
    await expect(busOver(s).publish([makeEvent(), huge])).rejects.toThrow(new RegExp(`${huge.id} is \\d+ bytes`));
    expect(s.requests()).toEqual([]);
  });

  it('the stand-in refuses a request whose events total over 256 KB, as the service does', async () => {
    const s = await standin();
    const events = Array.from({ length: 4 }, () => makeEvent('task.succeeded', { data: { blob: 'w'.repeat(80_000) } }));
    await expect(busOver(s, { maxRequestBytes: 1024 * 1024 }).publish(events)).rejects.toThrow(/EventsSizeExceeded/);
    expect(s.requests()[0]).toMatchObject({ status: 400, code: 'EventsSizeExceeded' });
    expect(s.received()).toEqual([]);
  });

  it('the stand-in refuses a request signed with the wrong secret; the adapter neither retries it nor sends the next batch', async () => {
    const s = await standin();
    const bus = busOver(s, { credentials: () => ({ ...STANDIN_ACCESS_KEY, accessKeySecret: 'not-the-secret' }), maxEventsPerRequest: 1 });
    const events = [makeEvent(), makeEvent()];
    const error = await bus.publish(events).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/SignatureDoesNotMatch/);
    expect((error as EventBridgePublishError).failedEventIds).toEqual(events.map((e) => e.id));
    expect(s.requests()).toEqual([expect.objectContaining({ status: 403, code: 'SignatureDoesNotMatch' })]);
    expect(s.received()).toEqual([]);
  });

  describe('STS credentials', () => {
    const now = Date.now();
    const sts = (n: number, expiresAt: number): EventBridgeCredentials & { expiresAt: number } =>
      ({ accessKeyId: `STS.standin${n}`, accessKeySecret: `sts-secret-${n}`, securityToken: `token-${n}`, expiresAt });

    it('asks for credentials on every publish, so expired STS credentials are replaced by the next one', async () => {
      let clock = now;
      const [first, second] = [sts(1, now + 60_000), sts(2, now + 3_600_000)];
      const s = await standin({ credentials: [first, second], now: () => clock });
      let current = first;
      let calls = 0;
      const bus = busOver(s, { credentials: () => (calls++, current) });
      await bus.publish([makeEvent()]);
      clock = now + 120_000;
      await expect(busOver(s, { credentials: () => first, maxAttempts: 1 }).publish([makeEvent()])).rejects.toThrow(/StsAccessIdExpired/);
      current = second;
      await bus.publish([makeEvent()]);
      expect(calls).toBe(2);
      expect(s.requests().map((r) => r.code ?? r.status)).toEqual([200, 'StsAccessIdExpired', 200]);
    });

    it('asks again when credentials expire mid-publish and sends with the fresh ones', async () => {
      const [expired, fresh] = [sts(1, now - 1), sts(2, now + 3_600_000)];
      const s = await standin({ credentials: [expired, fresh] });
      const handed = [expired, fresh];
      const event = makeEvent();
      await busOver(s, { credentials: () => handed.shift() ?? fresh }).publish([event]);
      expect(s.requests().map((r) => r.code ?? r.status)).toEqual(['StsAccessIdExpired', 200]);
      expect(s.received().map((e) => e.id)).toEqual([event.id]);
    });

    it('is refused with an unknown security token, and does not retry', async () => {
      const s = await standin({ credentials: [sts(1, now + 3_600_000)] });
      const bus = busOver(s, { credentials: () => ({ ...sts(1, 0), securityToken: 'forged' }) });
      await expect(bus.publish([makeEvent()])).rejects.toThrow(/SecurityTokenInvalid/);
      expect(s.requests()).toHaveLength(1);
    });
  });

  it('retries throttling and server errors with growing backoff', async () => {
    const s = await standin();
    s.faults.add({ kind: 'status', status: 429, code: 'TooManyRequests' });
    s.faults.add({ kind: 'status', status: 500, code: 'InternalError' });
    const event = makeEvent();
    await busOver(s).publish([event]);
    expect(s.requests().map((r) => r.status)).toEqual([429, 500, 200]);
    expect(delays).toEqual([10, 20]);
    expect(s.received().map((e) => e.id)).toEqual([event.id]);
  });

  it('gives up on a service that stays unavailable, naming every event of the batch', async () => {
    const s = await standin();
    s.faults.add({ kind: 'status', status: 503, code: 'ServiceUnavailable', times: 'always' });
    const events = [makeEvent(), makeEvent()];
    const error = await busOver(s, { maxAttempts: 2 }).publish(events).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventBridgePublishError);
    expect((error as EventBridgePublishError).failedEventIds).toEqual(events.map((e) => e.id));
    expect((error as Error).message).not.toMatch(/EventBridgeError-/);
    expect(s.requests()).toHaveLength(2);
  });

  it('sends again after the connection drops on an accepted request: the event arrives twice, same id', async () => {
    const s = await standin();
    s.faults.add({ kind: 'drop-after-accept' });
    const event = makeEvent();
    await busOver(s).publish([event]);
    expect(s.received().map((e) => e.id)).toEqual([event.id, event.id]);
  });

  it('retries an answer slower than the read timeout', async () => {
    const s = await standin();
    s.faults.add({ kind: 'latency', ms: 1_500 });
    const event = makeEvent();
    await busOver(s, { readTimeoutMs: 400 }).publish([event]);
    expect(s.requests().length).toBeGreaterThanOrEqual(1);
    expect(new Set(s.received().map((e) => e.id))).toEqual(new Set([event.id]));
  });

  it('does not retry an entry refused for good (unknown bus)', async () => {
    const s = await standin({ buses: ['another-bus'] });
    await expect(busOver(s).publish([makeEvent()])).rejects.toThrow(/EventBusNotExist/);
    expect(s.requests()).toHaveLength(1);
  });

  it('the stand-in arms faults through its control API', async () => {
    const s = await standin();
    const base = `http://${s.endpoint}/_standin`;
    const armed = await fetch(`${base}/faults`, { method: 'POST', body: JSON.stringify({ kind: 'status', status: 500, code: 'InternalError', times: 'always' }) });
    expect(armed.status).toBe(204);
    await expect(busOver(s, { maxAttempts: 1 }).publish([makeEvent()])).rejects.toThrow(/InternalError/);
    expect((await fetch(`${base}/faults`, { method: 'DELETE' })).status).toBe(204);
    await busOver(s).publish([makeEvent()]);
    const { events } = (await (await fetch(`${base}/events`)).json()) as { events: WireEvent[] };
    expect(events).toHaveLength(1);
  });
});

// The real service, when its coordinates are in the environment. Without a rule and a consumer there is no
// delivery to watch, so "observed" is what the service acknowledged (EntryList without an error).
const real = {
  endpoint: process.env.EVENTBRIDGE_TEST_ENDPOINT,
  bus: process.env.EVENTBRIDGE_TEST_BUS,
  regionId: process.env.EVENTBRIDGE_TEST_REGION,
  // https unless told (http serves the VPC endpoint, or a stand-in started with `dev/standins/eventbridge/main.ts`).
  protocol: process.env.EVENTBRIDGE_TEST_PROTOCOL === 'http' ? ('http' as const) : ('https' as const),
  accessKeyId: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID,
  accessKeySecret: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
  securityToken: process.env.ALIBABA_CLOUD_SECURITY_TOKEN,
};
const realReady = Boolean(real.endpoint && real.bus && real.accessKeyId && real.accessKeySecret);

if (realReady) {
  runEventBusContract('EventBridgeEventBus against the real EventBridge', {
    create: async () => {
      const bus = new EventBridgeEventBus({
        endpoint: real.endpoint!,
        protocol: real.protocol,
        busName: real.bus!,
        regionId: real.regionId,
        credentials: () => ({ accessKeyId: real.accessKeyId!, accessKeySecret: real.accessKeySecret!, securityToken: real.securityToken }),
      });
      const acknowledged: DomainEvent[] = [];
      return {
        bus: {
          publish: async (events) => {
            await bus.publish(events);
            acknowledged.push(...events);
          },
        },
        observed: async () => acknowledged,
        close: async () => undefined,
      };
    },
  });
} else {
  describe('EventBridgeEventBus against the real EventBridge', () => {
    it('runs the EventBus contract against the real service', (ctx) => {
      ctx.skip('set EVENTBRIDGE_TEST_ENDPOINT (bare host), EVENTBRIDGE_TEST_BUS, ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (optionally ALIBABA_CLOUD_SECURITY_TOKEN, EVENTBRIDGE_TEST_REGION, EVENTBRIDGE_TEST_PROTOCOL) to run it');
    });
  });
}
