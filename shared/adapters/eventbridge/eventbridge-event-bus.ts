// EventBus over Alibaba Cloud EventBridge (PutEvents through our own client): batches under the 256 KB
// limit, retries throttling, outages and the failed entries of a partial failure, then names what failed.
import { EVENT_SOURCE, EventPublishError, type DomainEvent, type EventBus } from '../../ports/event-bus.ts';
import { eventSize, MAX_PUT_EVENTS_BYTES, splitIntoBatches, toOutgoing } from './cloud-event-batches.ts';
import {
  EventBridgeCallError, EventBridgeClient, EventBridgeCredentialsError, type EventBridgeCredentials, type OutgoingEvent,
} from './eventbridge-client.ts';

export type { EventBridgeCredentials } from './eventbridge-client.ts';

export interface EventBridgeEventBusOptions {
  /** Bare host, no scheme: `<accountId>.eventbridge.<region>.aliyuncs.com`. */
  endpoint: string;
  /** Default https; http for the VPC endpoint or a local stand-in. */
  protocol?: 'https' | 'http';
  regionId?: string;
  busName: string;
  /** Asked before every request, never cached here: STS credentials rotate under a running instance. */
  credentials: () => EventBridgeCredentials | Promise<EventBridgeCredentials>;
  /** Requests per batch, first included (default 4). */
  maxAttempts?: number;
  /** Backoff before attempt n: a random share of min(maxDelayMs, baseDelayMs * 2^(n-2)). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * Longest silence on the connection, connecting included, before a request fails and is retried (default
   * 10 s). One idle timeout covers both what the SDK split into connect and read timeouts.
   */
  readTimeoutMs?: number;
  maxRequestBytes?: number;
  /** The service's per-request event count limit is not documented; batches are also capped by count. */
  maxEventsPerRequest?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** An EventPublishError that says which events the bus did not take. */
export class EventBridgePublishError extends EventPublishError {
  constructor(message: string, readonly failedEventIds: string[]) {
    super(message);
  }
}

// Entry errors no retry fixes; anything else (throttling, internal) is retried.
const PERMANENT_ENTRY_CODES = new Set(['InvalidArgument', 'EventBusNotExist', 'AccessDenied']);
const LISTED = 10;

const listFailures = (failures: Map<string, string>) => {
  const list = [...failures].slice(0, LISTED).map(([id, why]) => `${id} (${why})`).join(', ');
  return failures.size > LISTED ? `${list} and ${failures.size - LISTED} more` : list;
};

export class EventBridgeEventBus implements EventBus {
  readonly #options: EventBridgeEventBusOptions;
  readonly #client: EventBridgeClient;

  constructor(options: EventBridgeEventBusOptions) {
    this.#options = options;
    this.#client = new EventBridgeClient({
      endpoint: options.endpoint,
      protocol: options.protocol ?? 'https',
      ...(options.regionId ? { regionId: options.regionId } : {}),
      credentials: options.credentials,
      timeoutMs: options.readTimeoutMs ?? 10_000,
    });
  }

  async publish(events: DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    const maxBytes = this.#options.maxRequestBytes ?? MAX_PUT_EVENTS_BYTES;
    const outgoing = events.map((e) => toOutgoing(e, this.#options.busName));
    // Refused before anything is sent, so a bad event never leaves the others half published.
    for (const e of outgoing) {
      if (!e.id || !e.type || e.source !== EVENT_SOURCE || !e.subject || Number.isNaN(Date.parse(e.time))) {
        throw new EventBridgePublishError(`event ${JSON.stringify(e.id)} lacks an id, type, subject, time or the ${EVENT_SOURCE} source`, [e.id]);
      }
      const size = eventSize(e);
      if (size > maxBytes) throw new EventBridgePublishError(`event ${e.id} is ${size} bytes, over EventBridge's ${maxBytes}-byte request limit`, [e.id]);
    }
    const failures = new Map<string, string>();
    let refused = false;
    for (const batch of splitIntoBatches(outgoing, maxBytes, this.#options.maxEventsPerRequest ?? 100)) {
      // After a refusal no retry fixes (credentials, access), the next batches would only be refused too.
      if (refused) {
        for (const e of batch) failures.set(e.id, 'not sent');
        continue;
      }
      const result = await this.#sendBatch(batch);
      for (const [id, why] of result.failures) failures.set(id, why);
      refused = result.refused;
    }
    if (failures.size > 0) {
      throw new EventBridgePublishError(`EventBridge did not take ${failures.size} of ${events.length} events: ${listFailures(failures)}`, [...failures.keys()]);
    }
  }

  /** Sends one batch, retrying what failed; returns the events still refused with why, and whether the call was. */
  async #sendBatch(batch: OutgoingEvent[]): Promise<{ failures: Map<string, string>; refused: boolean }> {
    const maxAttempts = Math.max(1, this.#options.maxAttempts ?? 4);
    const permanent = new Map<string, string>();
    let pending = batch;
    let failures = new Map<string, string>();
    for (let attempt = 1; attempt <= maxAttempts && pending.length > 0; attempt += 1) {
      if (attempt > 1) await this.#backoff(attempt);
      try {
        const outcome = await this.#client.putEvents(pending);
        failures = new Map();
        const retry: OutgoingEvent[] = [];
        outcome.entries.forEach((entry, i) => {
          const event = pending[i]!;
          if (!entry.errorCode) return;
          if (PERMANENT_ENTRY_CODES.has(entry.errorCode)) return void permanent.set(event.id, entry.errorCode);
          failures.set(event.id, entry.errorCode);
          retry.push(event);
        });
        pending = retry;
      } catch (err) {
        if (err instanceof EventBridgeCredentialsError) {
          return { failures: new Map([...permanent, ...pending.map((e): [string, string] => [e.id, 'no credentials'])]), refused: true };
        }
        const kind = err instanceof EventBridgeCallError ? err : undefined;
        failures = new Map(pending.map((e) => [e.id, kind?.code ?? kind?.kind ?? 'unexpected failure']));
        if (!kind?.retryable) return { failures: new Map([...permanent, ...failures]), refused: true };
      }
    }
    return { failures: new Map([...permanent, ...failures]), refused: false };
  }

  async #backoff(attempt: number): Promise<void> {
    const base = this.#options.baseDelayMs ?? 200;
    const cap = Math.min(this.#options.maxDelayMs ?? 5_000, base * 2 ** (attempt - 2));
    const ms = Math.round(cap * (0.5 + 0.5 * (this.#options.random ?? Math.random)()));
    await (this.#options.sleep ?? ((d: number) => new Promise<void>((r) => setTimeout(r, d))))(ms);
  }
}
