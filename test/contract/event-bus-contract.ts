// The EventBus contract: every adapter (in-process bus locally, EventBridge in the cloud) runs this suite.
// Events keep their stable id end to end, so a consumer can drop duplicates on (source, id).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENT_SOURCE, EventPublishError, type DomainEvent, type DomainEventType, type EventBus } from '../../shared/ports/event-bus.ts';

export interface EventBusSubject {
  bus: EventBus;
  /** What reached a consumer so far (after waiting for deliveries in flight), in arrival order. */
  observed(): Promise<DomainEvent[]>;
  close(): Promise<void>;
}

export interface EventBusContractOptions {
  create: () => Promise<EventBusSubject>;
}

let seq = 0;
export function makeEvent(type: DomainEventType = 'task.succeeded', overrides: Partial<DomainEvent> = {}): DomainEvent {
  seq += 1;
  const taskId = `task_evt_${process.pid}_${Date.now().toString(36)}_${seq}`;
  return {
    specversion: '1.0',
    id: `${taskId}.${type}`,
    source: EVENT_SOURCE,
    type,
    subject: taskId,
    time: new Date(Date.UTC(2030, 0, 1, 0, 0, seq)).toISOString(),
    datacontenttype: 'application/json',
    data: { taskId, status: 'SUCCEEDED', nested: { n: seq } },
    ...overrides,
  };
}

export function runEventBusContract(name: string, options: EventBusContractOptions): void {
  describe(`EventBus contract: ${name}`, () => {
    let subject: EventBusSubject;
    beforeEach(async () => {
      subject = await options.create();
    });
    afterEach(async () => {
      await subject.close();
    });

    const ours = async (events: DomainEvent[]) => {
      const ids = new Set(events.map((e) => e.id));
      return (await subject.observed()).filter((e) => ids.has(e.id));
    };

    it('delivers every published event with its id, type, subject and data intact', async () => {
      const events = [makeEvent('task.submitted'), makeEvent('task.succeeded'), makeEvent('task.persisted')];
      await subject.bus.publish(events);
      const seen = await ours(events);
      expect([...seen].sort((a, b) => a.id.localeCompare(b.id))).toEqual([...events].sort((a, b) => a.id.localeCompare(b.id)));
    });

    it('accepts the same event id twice and delivers it under that id, so consumers can dedupe', async () => {
      const event = makeEvent('task.persisted');
      await subject.bus.publish([event]);
      await subject.bus.publish([{ ...event, time: new Date(Date.parse(event.time) + 1000).toISOString() }]);
      const seen = await ours([event]);
      expect(seen.length).toBeGreaterThanOrEqual(1);
      expect(seen.every((e) => e.id === event.id && e.source === EVENT_SOURCE)).toBe(true);
      expect(new Set(seen.map((e) => `${e.source}/${e.id}`)).size).toBe(1);
    });

    it('treats publishing nothing as a no-op', async () => {
      await expect(subject.bus.publish([])).resolves.toBeUndefined();
    });

    it('rejects an event without an id with EventPublishError', async () => {
      await expect(subject.bus.publish([makeEvent('task.failed', { id: '' })])).rejects.toBeInstanceOf(EventPublishError);
    });

    it('refuses a batch holding one invalid event as a whole: none of its events is delivered', async () => {
      const good = makeEvent('task.submitted');
      await expect(subject.bus.publish([good, makeEvent('task.failed', { id: '' })])).rejects.toBeInstanceOf(EventPublishError);
      expect(await ours([good])).toEqual([]);
    });

    // 300 KB in all: more than one EventBridge request may carry, so a cloud adapter must split it.
    it('delivers every event of a large batch exactly once', async () => {
      const events = Array.from({ length: 60 }, (_, i) => makeEvent('task.succeeded', { data: { i, text: 'x'.repeat(5_000) } }));
      await subject.bus.publish(events);
      const seen = await ours(events);
      expect(seen.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    });
  });
}
