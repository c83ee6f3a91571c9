// EventBus in one process (local mode): each event is appended to `events.jsonl` (what EventBridge would have
// carried) and handed to in-process subscribers after publish() returns, as EventBridge would.
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { EVENT_SOURCE, EventPublishError, type DomainEvent, type EventBus } from '../../ports/event-bus.ts';

const eventSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1).max(256),
  source: z.literal(EVENT_SOURCE),
  type: z.string().min(1),
  subject: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  datacontenttype: z.literal('application/json'),
  data: z.record(z.string(), z.unknown()),
});

export type EventFilter = (event: DomainEvent) => boolean;
export type EventListener = (event: DomainEvent) => Promise<void> | void;

export interface LocalEventBusOptions {
  /** Where events are appended, one JSON line each; omitted = memory only. */
  file?: string;
  /** Called when a subscriber throws; the bus itself never logs. */
  onDeliveryError?: (error: unknown, event: DomainEvent) => void;
  /** Events history() keeps, oldest dropped first (default 10,000; the file keeps everything). */
  historyLimit?: number;
}

interface Subscription {
  filter: EventFilter;
  listener: EventListener;
}

export class LocalEventBus implements EventBus {
  private readonly subscriptions = new Set<Subscription>();
  private readonly published: DomainEvent[] = [];
  private readonly pending = new Set<Promise<void>>();
  private dirReady: Promise<unknown> | undefined;

  constructor(private readonly options: LocalEventBusOptions = {}) {}

  async publish(events: DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    for (const event of events) {
      const r = eventSchema.safeParse(event);
      if (!r.success) throw new EventPublishError(`event ${String(event?.id)} is not a valid domain event: ${r.error.issues[0]?.message ?? ''}`);
    }
    if (this.options.file) {
      const file = this.options.file;
      try {
        this.dirReady ??= mkdir(dirname(file), { recursive: true });
        await this.dirReady;
        await appendFile(file, events.map((e) => JSON.stringify(e) + '\n').join(''));
      } catch (cause) {
        throw new EventPublishError(`could not append events to ${file}`, { cause });
      }
    }
    // a duplicate (same id) is recorded and delivered again with its id: consumers dedupe on (source, id)
    // exactly as they must in the cloud
    for (const event of events) {
      const copy = structuredClone(event);
      this.published.push(copy);
      const excess = this.published.length - (this.options.historyLimit ?? 10_000);
      if (excess > 0) this.published.splice(0, excess);
      this.deliver(copy);
    }
  }

  /** Delivers future events that pass `filter` to `listener`; returns the unsubscribe function. */
  subscribe(filter: EventFilter, listener: EventListener): () => void {
    const sub = { filter, listener };
    this.subscriptions.add(sub);
    return () => this.subscriptions.delete(sub);
  }

  /** The events published so far (up to historyLimit), in order, duplicates included. */
  history(): readonly DomainEvent[] {
    return this.published;
  }

  /** Resolves when every delivery started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private deliver(event: DomainEvent): void {
    for (const sub of this.subscriptions) {
      if (!sub.filter(event)) continue;
      const p: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => sub.listener(structuredClone(event)))
        .catch((e: unknown) => this.options.onDeliveryError?.(e, event))
        .finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }
}
