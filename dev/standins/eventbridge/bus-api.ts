// The stand-in's answers to the data-plane calls besides PutEvents: read and create a bus, list the events a bus
// received in a period (traces, paged) and fetch them by id. Pure functions over the stand-in's state.
import { randomUUID } from 'node:crypto';
import {
  createEventBusBodySchema, getEventBusBodySchema, queryEventsByIdsBodySchema, queryEventsByPeriodBodySchema, type WireEvent,
} from './wire.ts';

export interface StandinBus {
  description: string;
  /** Epoch ms. */
  createdAt: number;
}

export interface ReceivedEvent {
  event: WireEvent;
  /** Epoch ms, by the stand-in's clock. */
  receivedAt: number;
}

export interface BusState {
  accountId: string;
  region: string;
  buses: Map<string, StandinBus>;
  received: readonly ReceivedEvent[];
  now: () => number;
}

/** An answer: 200 with its body, or an error status with the code the SDK reads. */
export type ApiAnswer = { ok: true; body: Record<string, unknown> } | { ok: false; status: number; code: string; message: string };

const ok = (body: Record<string, unknown>): ApiAnswer => ({ ok: true, body: { RequestId: randomUUID(), ...body } });
const invalid = (message: string): ApiAnswer => ({ ok: false, status: 400, code: 'InvalidArgument', message });
// The service's statuses for these two are not documented; the codes follow its error table's naming.
const noBus = (name: string): ApiAnswer => ({ ok: false, status: 404, code: 'EventBusNotExist', message: `The event bus ${name} does not exist.` });
const BUS_NAME = /^[A-Za-z0-9-]{1,127}$/;
const MAX_PAGE = 100;

export function getEventBus(state: BusState, raw: unknown): ApiAnswer {
  const body = getEventBusBodySchema.safeParse(raw);
  if (!body.success) return invalid('EventBusName is required.');
  const name = body.data.EventBusName;
  const bus = state.buses.get(name);
  if (!bus) return noBus(name);
  return ok({
    ResourceOwnerAccountId: state.accountId,
    EventBusARN: `acs:eventbridge:${state.region}:${state.accountId}:eventbus/${name}`,
    EventBusName: name,
    Description: bus.description,
    CreateTimestamp: bus.createdAt,
  });
}

export function createEventBus(state: BusState, raw: unknown): ApiAnswer {
  const body = createEventBusBodySchema.safeParse(raw);
  if (!body.success) return invalid('EventBusName is required.');
  const name = body.data.EventBusName;
  if (!BUS_NAME.test(name) || name === 'default') return invalid(`The event bus name ${name} is invalid or reserved.`);
  if (state.buses.has(name)) return { ok: false, status: 409, code: 'EventBusAlreadyExist', message: `The event bus ${name} already exists.` };
  state.buses.set(name, { description: body.data.Description ?? '', createdAt: state.now() });
  return ok({ ResourceOwnerAccountId: state.accountId, EventBusARN: `acs:eventbridge:${state.region}:${state.accountId}:eventbus/${name}` });
}

/** The bus's received events between StartTime and EndTime (ms, inclusive), in arrival order, a page at a time. */
export function queryEventsByPeriod(state: BusState, raw: unknown): ApiAnswer {
  const body = queryEventsByPeriodBodySchema.safeParse(raw);
  if (!body.success) return invalid('EventBusName, StartTime and EndTime are required.');
  const q = body.data;
  if (!state.buses.has(q.EventBusName)) return noBus(q.EventBusName);
  const offset = q.NextToken ? Number(q.NextToken) : 0;
  if (!Number.isInteger(offset) || offset < 0) return invalid('NextToken is invalid.');
  const matching = state.received.filter(({ event, receivedAt }) =>
    event.aliyuneventbusname === q.EventBusName && receivedAt >= q.StartTime && receivedAt <= q.EndTime &&
    (q.EventSource === undefined || event.source === q.EventSource) && (q.EventType === undefined || event.type === q.EventType));
  const limit = Math.min(q.Limit ?? MAX_PAGE, MAX_PAGE);
  const page = matching.slice(offset, offset + limit);
  const next = offset + page.length;
  return ok({
    TracedEvents: page.map(({ event, receivedAt }) => ({
      EventReceivedTime: String(receivedAt),
      EventSource: event.source,
      EventId: event.id,
      EventBusName: event.aliyuneventbusname,
      EventType: event.type,
    })),
    NextToken: next < matching.length ? String(next) : '',
    Total: matching.length,
  });
}

/** The events of the bus with these ids, each as its CloudEvent JSON text (the latest copy of a duplicate). */
export function queryEventsByEventIds(state: BusState, raw: unknown): ApiAnswer {
  const body = queryEventsByIdsBodySchema.safeParse(raw);
  if (!body.success) return invalid('EventBusName and EventIds are required.');
  const q = body.data;
  if (!state.buses.has(q.EventBusName)) return noBus(q.EventBusName);
  const wanted = new Set(q.EventIds);
  const eventMap: Record<string, string> = {};
  for (const { event } of state.received) {
    if (event.aliyuneventbusname !== q.EventBusName || !event.id || !wanted.has(event.id)) continue;
    if (q.EventSourceName !== undefined && event.source !== q.EventSourceName) continue;
    eventMap[event.id] = JSON.stringify(event);
  }
  return ok({ EventBusName: q.EventBusName, EventMap: eventMap });
}
