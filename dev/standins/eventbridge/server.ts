// A wire-level stand-in for EventBridge's data plane (node:http): PutEvents, reading and creating buses, rules and
// targets, querying received events; verifies the SDK's signature and STS token, enforces the 256 KB limit, injects faults. Test equipment only.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEventBus, getEventBus, queryEventsByEventIds, queryEventsByPeriod, type ApiAnswer, type BusState, type ReceivedEvent, type StandinBus } from './bus-api.ts';
import { handleControl } from './control.ts';
import { createRule, createTargets, deleteTargets, getRule, updateRule, type RuleState } from './rules-api.ts';
import { checkAuth, type StandinCredentials } from './credentials.ts';
import { MAX_REQUEST_EVENT_BYTES, wireEventSize } from './event-size.ts';
import { FaultQueue, type Fault } from './faults.ts';
import {
  API_PATHS, entryProblem, EVENTBRIDGE_VERSION, JSON_CONTENT_TYPE, PUT_EVENTS_CONTENT_TYPE, putEventsBodySchema,
  type ApiAction, type PutEventsAnswer, type WireEntry, type WireEvent,
} from './wire.ts';

export type { Fault } from './faults.ts';
export type { StandinCredentials } from './credentials.ts';
export type { WireEvent } from './wire.ts';

/** The access key a stand-in accepts unless told otherwise. */
export const STANDIN_ACCESS_KEY: StandinCredentials = { accessKeyId: 'LTAIstandin0000000001', accessKeySecret: 'standin-secret-0001' };

export interface EventBridgeStandinOptions {
  credentials?: StandinCredentials[];
  /** Buses that exist at the start (createEventBus adds more); an event for another gets EventBusNotExist. Default `['default']`. */
  buses?: string[];
  accountId?: string;
  /** The region in bus ARNs (default `cn-hangzhou`). */
  region?: string;
  /** Clock for STS expiry and the date check; default Date.now. */
  now?: () => number;
  maxClockSkewMs?: number;
  /** Raw body cap, far above the 256 KB event limit: only guards the stand-in itself. */
  maxBodyBytes?: number;
  faults?: Fault[];
  port?: number;
}

export interface StandinRequest {
  /** The call, by its SDK name; `unknown` for a path that is no API. */
  action: ApiAction | 'unknown';
  status: number;
  code?: string;
  eventIds: string[];
  failedIds: string[];
  dropped?: boolean;
}

export interface EventBridgeStandin {
  /** `127.0.0.1:<port>`: the bare host the SDK takes as its endpoint (protocol http). */
  readonly endpoint: string;
  readonly port: number;
  readonly accountId: string;
  /** Accepted events in arrival order, as sent on the wire (duplicates included). */
  received(): WireEvent[];
  /** Every request answered (or dropped), oldest first. */
  requests(): StandinRequest[];
  /** The buses that exist now, sorted. */
  buses(): string[];
  /** The rules on a bus now, sorted by name, as GetRule answers them (targets included). */
  rules(bus: string): Array<{ name: string; status: string; filterPattern: string; description: string; targets: unknown[] }>;
  readonly faults: { add(fault: Fault): void; clear(): void };
  readonly credentials: { add(c: StandinCredentials): void; remove(accessKeyId: string): void };
  /** Clears received events, the request log and faults, and brings back the buses of the start. */
  reset(): void;
  close(): Promise<void>;
}

class TooLarge extends Error {}

async function readBody(req: IncomingMessage, cap: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > cap) throw new TooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function startEventBridgeStandin(options: EventBridgeStandinOptions = {}): Promise<EventBridgeStandin> {
  const now = options.now ?? Date.now;
  const accountId = options.accountId ?? '1234567890123456';
  const initialBuses = () => new Map<string, StandinBus>((options.buses ?? ['default']).map((b) => [b, { description: '', createdAt: now() }]));
  const buses = initialBuses();
  const known = new Map((options.credentials ?? [STANDIN_ACCESS_KEY]).map((c) => [c.accessKeyId, c]));
  const faults = new FaultQueue();
  for (const f of options.faults ?? []) faults.add(f);
  let received: ReceivedEvent[] = [];
  let log: StandinRequest[] = [];
  const rules: RuleState = new Map();
  const state = (): BusState & { rules: RuleState } => ({ accountId, region: options.region ?? 'cn-hangzhou', buses, received, now, rules });

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };
  // The SDK reads `code`, `requestId` and `message` from an error body.
  const fail = (res: ServerResponse, action: StandinRequest['action'], status: number, code: string, message: string, eventIds: string[] = []) => {
    log.push({ action, status, code, eventIds, failedIds: eventIds });
    answer(res, status, { requestId: randomUUID(), code, message });
  };

  /** Every API call: body, signature, version and content type checked, then the call answered. */
  async function api(req: IncomingMessage, res: ServerResponse, url: URL, action: ApiAction): Promise<void> {
    let raw: Buffer;
    try {
      raw = await readBody(req, options.maxBodyBytes ?? 4 * 1024 * 1024);
    } catch (err) {
      if (!(err instanceof TooLarge)) throw err;
      res.setHeader('connection', 'close');
      return fail(res, action, 413, 'RequestEntityTooLarge', 'The request body is too large.');
    }
    const refusal = checkAuth({ method: req.method ?? '', pathname: url.pathname, query: url.searchParams, headers: req.headers }, known, now(), options.maxClockSkewMs ?? 15 * 60_000);
    if (refusal) return fail(res, action, refusal.status, refusal.code, refusal.message);
    if (req.headers['x-eventbridge-version'] !== EVENTBRIDGE_VERSION) return fail(res, action, 400, 'InvalidArgument', 'x-eventbridge-version must be 2015-06-06.');
    const contentType = action === 'putEvents' ? PUT_EVENTS_CONTENT_TYPE : JSON_CONTENT_TYPE;
    if (req.headers['content-type'] !== contentType) return fail(res, action, 400, 'InvalidArgument', `content-type must be ${contentType}.`);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return fail(res, action, 400, 'InvalidArgument', 'The body must be JSON.');
    }
    if (action === 'putEvents') return putEvents(req, res, body);
    const refused = faults.take('status');
    if (refused) return fail(res, action, refused.status, refused.code, refused.message);
    const delay = faults.take('latency');
    if (delay) await sleep(delay.ms);
    const handler = { getEventBus, createEventBus, queryEventsByPeriod, queryEventsByEventIds, getRule, createRule, updateRule, createTargets, deleteTargets }[action];
    const result: ApiAnswer = handler(state(), body);
    if (!result.ok) return fail(res, action, result.status, result.code, result.message);
    log.push({ action, status: 200, eventIds: [], failedIds: [] });
    answer(res, 200, result.body);
  }

  async function putEvents(req: IncomingMessage, res: ServerResponse, json: unknown): Promise<void> {
    const parsed = putEventsBodySchema.safeParse(json);
    if (!parsed.success) return fail(res, 'putEvents', 400, 'InvalidArgument', 'The body must be a JSON array of CloudEvents.');
    const events: WireEvent[] = parsed.data;
    const ids = events.map((e) => e.id ?? '');
    const refused = faults.take('status');
    if (refused) return fail(res, 'putEvents', refused.status, refused.code, refused.message, ids);
    const total = events.reduce((n, e) => n + wireEventSize(e), 0);
    // The error code for an oversized request is not documented; this one is the stand-in's choice.
    if (total > MAX_REQUEST_EVENT_BYTES) return fail(res, 'putEvents', 400, 'EventsSizeExceeded', `The events total ${total} bytes, over the 262144-byte limit.`, ids);
    const delay = faults.take('latency');
    if (delay) await sleep(delay.ms);

    const failing = faults.take('fail-entries', ids);
    const busNames = new Set(buses.keys());
    const entries: WireEntry[] = events.map((event) => {
      const entry: WireEntry = { EventId: event.id ?? '', TraceId: randomUUID() };
      const problem = entryProblem(event, busNames) ??
        (failing?.ids.includes(entry.EventId) ? { code: failing.code, message: failing.message } : undefined);
      if (problem) return { ...entry, ErrorCode: problem.code, ErrorMessage: problem.message };
      received.push({ event, receivedAt: now() });
      return entry;
    });
    const failedIds = entries.filter((e) => e.ErrorCode).map((e) => e.EventId);
    if (faults.take('drop-after-accept')) {
      log.push({ action: 'putEvents', status: 0, eventIds: ids, failedIds, dropped: true });
      req.socket.destroy();
      return;
    }
    log.push({ action: 'putEvents', status: 200, eventIds: ids, failedIds });
    const body: PutEventsAnswer = { RequestId: randomUUID(), ResourceOwnerAccountId: accountId, FailedEntryCount: failedIds.length, EntryList: entries };
    answer(res, 200, body);
  }

  const handle = {
    received: () => received.map((r) => structuredClone(r.event)),
    requests: () => log.map((r) => ({ ...r })),
    buses: () => [...buses.keys()].sort(),
    rules: (bus: string) =>
      [...(rules.get(bus) ?? new Map()).entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, r]) => ({ name, status: r.status, filterPattern: r.filterPattern, description: r.description, targets: structuredClone(r.targets) })),
    faults: { add: (f: Fault) => faults.add(f), clear: () => faults.clear() },
    credentials: { add: (c: StandinCredentials) => void known.set(c.accessKeyId, c), remove: (id: string) => void known.delete(id) },
    reset: () => {
      received = [];
      log = [];
      faults.clear();
      rules.clear();
      buses.clear();
      for (const [name, bus] of initialBuses()) buses.set(name, bus);
    },
  };

  const actions = new Map<string, ApiAction>(Object.entries(API_PATHS).map(([action, path]) => [path, action as ApiAction]));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const action = req.method === 'POST' ? actions.get(url.pathname) : undefined;
    const work = url.pathname.startsWith('/_standin/')
      ? handleControl(req, res, url, handle)
      : action
        ? api(req, res, url, action)
        : Promise.resolve(fail(res, 'unknown', 404, 'ApiNotFound', `No API at ${req.method} ${url.pathname}.`));
    work.catch(() => {
      if (!res.headersSent) answer(res, 500, { requestId: randomUUID(), code: 'InternalError', message: 'stand-in failure' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...handle,
    endpoint: `127.0.0.1:${port}`,
    port,
    accountId,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
