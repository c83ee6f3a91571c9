// Runs the EventBus contract against the in-process bus, plus what only the local bus promises: the
// events.jsonl record, subscription filters, and deliveries that never fail the publisher.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalEventBus } from '../../shared/adapters/local-bus/local-event-bus.ts';
import type { DomainEvent } from '../../shared/ports/event-bus.ts';
import { makeEvent, runEventBusContract } from './event-bus-contract.ts';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bus-'));
  dirs.push(dir);
  return join(dir, 'nested', 'events.jsonl');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

runEventBusContract('LocalEventBus', {
  create: async () => {
    const bus = new LocalEventBus({ file: tempFile() });
    const seen: DomainEvent[] = [];
    bus.subscribe(() => true, (e) => void seen.push(e));
    return {
      bus,
      observed: async () => {
        await bus.idle();
        return seen;
      },
      close: async () => bus.idle(),
    };
  },
});

describe('LocalEventBus', () => {
  it('appends each event as one JSON line to events.jsonl, duplicates included', async () => {
    const file = tempFile();
    const bus = new LocalEventBus({ file });
    const a = makeEvent('task.submitted');
    const b = makeEvent('task.persisted');
    await bus.publish([a, b]);
    await bus.publish([a]);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as DomainEvent);
    expect(lines.map((e) => e.id)).toEqual([a.id, b.id, a.id]);
    expect(lines[1]).toEqual(b);
    expect(bus.history().map((e) => e.id)).toEqual([a.id, b.id, a.id]);
  });

  it('delivers only events that pass the filter, and none after unsubscribing', async () => {
    const bus = new LocalEventBus();
    const seen: string[] = [];
    const off = bus.subscribe((e) => e.type === 'task.persisted', (e) => void seen.push(e.type));
    await bus.publish([makeEvent('task.submitted'), makeEvent('task.persisted')]);
    await bus.idle();
    off();
    await bus.publish([makeEvent('task.persisted')]);
    await bus.idle();
    expect(seen).toEqual(['task.persisted']);
  });

  it('delivers after publish returns and reports a failing subscriber without failing the publisher', async () => {
    const errors: unknown[] = [];
    const bus = new LocalEventBus({ onDeliveryError: (e) => errors.push(e) });
    let delivered = false;
    bus.subscribe(() => true, () => {
      delivered = true;
      throw new Error('consumer broke');
    });
    await bus.publish([makeEvent()]);
    expect(delivered).toBe(false);
    await bus.idle();
    expect(delivered).toBe(true);
    expect(errors).toHaveLength(1);
  });

  it('gives each subscriber its own copy, so one consumer cannot change what another sees', async () => {
    const bus = new LocalEventBus();
    const seen: DomainEvent[] = [];
    bus.subscribe(() => true, (e) => {
      (e.data as Record<string, unknown>).status = 'TAMPERED';
    });
    bus.subscribe(() => true, (e) => void seen.push(e));
    await bus.publish([makeEvent()]);
    await bus.idle();
    expect(seen[0]?.data.status).toBe('SUCCEEDED');
    expect(bus.history()[0]?.data.status).toBe('SUCCEEDED');
  });

  it('keeps only the latest events in history() once past its limit', async () => {
    const bus = new LocalEventBus({ historyLimit: 2 });
    const events = [makeEvent(), makeEvent(), makeEvent()];
    await bus.publish(events);
    expect(bus.history().map((e) => e.id)).toEqual([events[1]!.id, events[2]!.id]);
  });
});
