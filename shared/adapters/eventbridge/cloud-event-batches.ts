// Domain events as the CloudEvents EventBridge takes, sized the way the service counts them against its
// 256 KB PutEvents limit, and split into requests that stay under it.
import type { DomainEvent } from '../../ports/event-bus.ts';
import type { OutgoingEvent } from './eventbridge-client.ts';

/** EventBridge refuses a PutEvents whose events total more than 256 KB (262,144 bytes). */
export const MAX_PUT_EVENTS_BYTES = 256 * 1024;

export function toOutgoing(event: DomainEvent, busName: string): OutgoingEvent {
  return {
    id: event.id,
    source: event.source,
    type: event.type,
    subject: event.subject,
    time: event.time,
    datacontenttype: event.datacontenttype,
    dataJson: JSON.stringify(event.data ?? null),
    busName,
  };
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * Alibaba's documented size of an event: time counts 36 bytes, each attribute its UTF-8 bytes, data its bytes
 * (the client re-serialises JSON data, which yields the same text for values that came from JSON.stringify).
 */
export function eventSize(e: OutgoingEvent): number {
  return 36 + utf8('1.0') + utf8(e.id) + utf8(e.type) + utf8(e.source) + utf8(e.subject) + utf8(e.datacontenttype) + utf8(e.dataJson);
}

/** Groups events, in order, into batches of at most `maxBytes` and `maxEvents`; each event must fit alone. */
export function splitIntoBatches(events: OutgoingEvent[], maxBytes: number, maxEvents: number): OutgoingEvent[][] {
  const batches: OutgoingEvent[][] = [];
  let current: OutgoingEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = eventSize(event);
    if (current.length > 0 && (bytes + size > maxBytes || current.length >= maxEvents)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
