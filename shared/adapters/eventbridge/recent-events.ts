// The bus's recent events, for operations: the traces EventBridge keeps of what a bus received in a period
// (queryEventsByPeriod, paged), then the events themselves by id (queryEventsByEventIds), oldest first.
import { z } from 'zod';
import { EVENT_SOURCE } from '../../ports/event-bus.ts';
import { EventBridgeCallError, type EventBridgeClient } from './eventbridge-client.ts';

export interface RecentEvent {
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  data: unknown;
}

export interface RecentEventsQuery {
  busName: string;
  since: Date;
  /** Default: now. */
  until?: Date;
  /** At most this many events, the latest received in the period. */
  limit: number;
  /** The event source asked for (the SDK's model requires one); default dashscope-fc's. */
  source?: string;
}

// The service pages traces by 100 at most; past MAX_PAGES pages the period is too long for a look at recent events.
const PAGE = 100;
const MAX_PAGES = 50;
const IDS_PER_FETCH = 20;

const tracesSchema = z.object({
  TracedEvents: z.array(z.object({
    EventId: z.string(),
    EventSource: z.string().nullish(),
    EventType: z.string().nullish(),
    EventReceivedTime: z.union([z.string(), z.number()]).nullish(),
  })).nullish(),
  NextToken: z.string().nullish(),
});
// Each event comes as its CloudEvent JSON text (the SDK's model types the map's values as strings).
const eventsSchema = z.object({ EventMap: z.record(z.string(), z.unknown()).nullish() });
const cloudEventSchema = z.looseObject({
  id: z.string(),
  source: z.string().nullish(),
  type: z.string().nullish(),
  subject: z.string().nullish(),
  time: z.string().nullish(),
  data: z.unknown().optional(),
  data_base64: z.string().nullish(),
});

/** Received time in epoch ms: the traces carry it as a number or its text (unparsable counts as 0). */
function receivedMs(v: string | number | null | undefined): number {
  if (typeof v === 'number') return v;
  if (!v) return 0;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isFinite(n) ? n : 0;
}

function unreadable(action: string): EventBridgeCallError {
  return new EventBridgeCallError(action, 'network', 'UnreadableAnswer', undefined);
}

function parseEvent(raw: unknown): z.infer<typeof cloudEventSchema> | undefined {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  const parsed = cloudEventSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** The latest `limit` events the bus received between `since` and `until`, oldest first, each id once. */
export async function recentEvents(client: Pick<EventBridgeClient, 'call'>, query: RecentEventsQuery): Promise<RecentEvent[]> {
  if (!Number.isInteger(query.limit) || query.limit < 1) throw new RangeError(`limit must be a positive integer, not ${query.limit}`);
  const source = query.source ?? EVENT_SOURCE;
  const traces = new Map<string, { source: string; type: string; receivedAt: number }>();
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const answer = tracesSchema.safeParse(await client.call('QueryEventsByPeriod', '/openapi/queryEventsByPeriod', {
      EventBusName: query.busName,
      EventSource: source,
      StartTime: query.since.getTime(),
      EndTime: (query.until ?? new Date()).getTime(),
      Limit: PAGE,
      ...(nextToken ? { NextToken: nextToken } : {}),
    }));
    if (!answer.success) throw unreadable('QueryEventsByPeriod');
    for (const t of answer.data.TracedEvents ?? []) {
      const receivedAt = receivedMs(t.EventReceivedTime);
      const seen = traces.get(t.EventId);
      // A re-published event is traced twice under its stable id: it is shown once, at its latest arrival.
      if (!seen || seen.receivedAt < receivedAt) traces.set(t.EventId, { source: t.EventSource ?? source, type: t.EventType ?? '', receivedAt });
    }
    const next = answer.data.NextToken || undefined;
    if (!next || next === nextToken) break;
    nextToken = next;
  }
  const chosen = [...traces].sort((a, b) => a[1].receivedAt - b[1].receivedAt).slice(-query.limit);

  const bodies = new Map<string, z.infer<typeof cloudEventSchema>>();
  for (let i = 0; i < chosen.length; i += IDS_PER_FETCH) {
    const ids = chosen.slice(i, i + IDS_PER_FETCH).map(([id]) => id);
    const answer = eventsSchema.safeParse(await client.call('QueryEvents', '/openapi/queryEventsByEventIds', { EventBusName: query.busName, EventSourceName: source, EventIds: ids }));
    if (!answer.success) throw unreadable('QueryEvents');
    for (const [id, raw] of Object.entries(answer.data.EventMap ?? {})) {
      const event = parseEvent(raw);
      if (event) bodies.set(id, event);
    }
  }

  const events = chosen.map(([id, trace]) => {
    const body = bodies.get(id);
    const data = body?.data !== undefined ? body.data : body?.data_base64 ? Buffer.from(body.data_base64, 'base64').toString('utf8') : null;
    // An event whose body the service did not return is still listed, from its trace.
    return {
      event: {
        id,
        source: body?.source ?? trace.source,
        type: body?.type ?? trace.type,
        subject: body?.subject ?? '',
        time: body?.time ?? new Date(trace.receivedAt).toISOString(),
        data,
      },
      receivedAt: trace.receivedAt,
    };
  });
  const at = (e: { event: RecentEvent; receivedAt: number }) => {
    const t = Date.parse(e.event.time);
    return Number.isFinite(t) ? t : e.receivedAt;
  };
  return events.sort((a, b) => at(a) - at(b) || a.receivedAt - b.receivedAt).map((e) => e.event);
}
