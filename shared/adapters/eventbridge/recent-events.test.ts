// Recent events read back from the EventBridge stand-in: what the bus received in a period, the latest `limit`
// of them, oldest first, each id once, with its data; paged traces and batched fetches by id.
import { afterEach, describe, expect, it } from 'vitest';
import { startEventBridgeStandin, STANDIN_ACCESS_KEY, type EventBridgeStandin } from '../../../dev/standins/eventbridge/server.ts';
import { EVENT_SOURCE, type DomainEvent } from '../../ports/event-bus.ts';
import { EventBridgeClient } from './eventbridge-client.ts';
import { EventBridgeEventBus } from './eventbridge-event-bus.ts';
import { recentEvents } from './recent-events.ts';

const BUS = 'dashscope-fc';
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
let standin: EventBridgeStandin | undefined;
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

let clock = T0;
async function setup() {
  clock = T0;
  // the stand-in stamps each event with its clock; the date check is widened to the far-off test clock
  standin = await startEventBridgeStandin({ buses: [BUS, 'other-bus'], now: () => clock, maxClockSkewMs: Number.MAX_SAFE_INTEGER });
  const options = { endpoint: standin.endpoint, protocol: 'http' as const, credentials: () => STANDIN_ACCESS_KEY };
  return { standin, client: new EventBridgeClient(options), publish: (events: DomainEvent[], busName = BUS) => new EventBridgeEventBus({ ...options, busName }).publish(events) };
}

const event = (n: number, type: DomainEvent['type'] = 'task.submitted'): DomainEvent => ({
  specversion: '1.0', id: `task_${n}.${type}`, source: EVENT_SOURCE, type, subject: `task_${n}`,
  time: new Date(T0 + n * 1000).toISOString(), datacontenttype: 'application/json', data: { taskId: `task_${n}`, n },
});

describe('recentEvents', () => {
  it('lists the events received in the period, oldest first, with subject, time and data', async () => {
    const { client, publish } = await setup();
    await publish([event(1)]);
    clock = T0 + 60_000;
    await publish([event(3), event(2, 'task.succeeded')]);
    clock = T0 + 120_000;
    await publish([event(4)]);
    await publish([event(9)], 'other-bus');
    const seen = await recentEvents(client, { busName: BUS, since: new Date(T0 + 30_000), until: new Date(T0 + 90_000), limit: 10 });
    expect(seen).toEqual([
      { id: 'task_2.task.succeeded', source: EVENT_SOURCE, type: 'task.succeeded', subject: 'task_2', time: event(2).time, data: { taskId: 'task_2', n: 2 } },
      { id: 'task_3.task.submitted', source: EVENT_SOURCE, type: 'task.submitted', subject: 'task_3', time: event(3).time, data: { taskId: 'task_3', n: 3 } },
    ]);
    expect((await recentEvents(client, { busName: BUS, since: new Date(T0), until: new Date(T0 + 200_000), limit: 10 })).map((e) => e.subject)).toEqual(['task_1', 'task_2', 'task_3', 'task_4']);
  });

  it('keeps the latest `limit` received, and shows a re-published event once', async () => {
    const { client, publish } = await setup();
    for (let n = 1; n <= 5; n += 1) {
      clock = T0 + n * 1000;
      await publish([event(n)]);
    }
    clock = T0 + 10_000;
    await publish([event(2)]);
    const seen = await recentEvents(client, { busName: BUS, since: new Date(T0), until: new Date(T0 + 20_000), limit: 3 });
    // received last: 4, 5, then 2 again; listed by event time
    expect(seen.map((e) => e.id)).toEqual(['task_2.task.submitted', 'task_4.task.submitted', 'task_5.task.submitted']);
  });

  it('pages through more traces than one answer holds and fetches the events in batches', async () => {
    const { standin, client, publish } = await setup();
    await publish(Array.from({ length: 150 }, (_, i) => event(i + 1)));
    const seen = await recentEvents(client, { busName: BUS, since: new Date(T0), until: new Date(T0 + 1), limit: 130 });
    expect(seen.map((e) => e.subject)).toEqual(Array.from({ length: 130 }, (_, i) => `task_${i + 21}`));
    const calls = standin.requests().map((r) => r.action);
    expect(calls.filter((a) => a === 'queryEventsByPeriod')).toHaveLength(2);
    expect(calls.filter((a) => a === 'queryEventsByEventIds')).toHaveLength(7);
  });

  it('answers nothing for a quiet period, refuses a bad limit, and fails with the call error for an unknown bus', async () => {
    const { client, publish } = await setup();
    await publish([event(1)]);
    expect(await recentEvents(client, { busName: BUS, since: new Date(T0 + 1), until: new Date(T0 + 1000), limit: 5 })).toEqual([]);
    await expect(recentEvents(client, { busName: BUS, since: new Date(T0), limit: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(recentEvents(client, { busName: 'no-such-bus', since: new Date(T0), limit: 5 })).rejects.toMatchObject({ kind: 'refused', code: 'EventBusNotExist' });
  });
});
