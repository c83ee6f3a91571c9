// A wire-level stand-in for EventBridge's data-plane PutEvents (node:http): verifies the SDK's signature and
// STS token, enforces the 256 KB limit, records accepted events and injects faults. Test equipment only.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleControl } from './control.ts';
import { checkAuth, type StandinCredentials } from './credentials.ts';
import { MAX_REQUEST_EVENT_BYTES, wireEventSize } from './event-size.ts';
import { FaultQueue, type Fault } from './faults.ts';
import {
  entryProblem, EVENTBRIDGE_VERSION, PUT_EVENTS_CONTENT_TYPE, PUT_EVENTS_PATH, putEventsBodySchema,
  type PutEventsAnswer, type WireEntry, type WireEvent,
} from './wire.ts';

export type { Fault } from './faults.ts';
export type { StandinCredentials } from './credentials.ts';
export type { WireEvent } from './wire.ts';

/** The access key a stand-in accepts unless told otherwise. */
export const STANDIN_ACCESS_KEY: StandinCredentials = { accessKeyId: 'LTAIstandin0000000001', accessKeySecret: 'standin-secret-0001' };

export interface EventBridgeStandinOptions {
  credentials?: StandinCredentials[];
  /** Buses that exist; an event for another gets EventBusNotExist. Default `['default']`. */
  buses?: string[];
  accountId?: string;
  /** Clock for STS expiry and the date check; default Date.now. */
  now?: () => number;
  maxClockSkewMs?: number;
  /** Raw body cap, far above the 256 KB event limit: only guards the stand-in itself. */
  maxBodyBytes?: number;
  faults?: Fault[];
  port?: number;
}

export interface StandinRequest {
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
  /** Every PutEvents request answered (or dropped), oldest first. */
  requests(): StandinRequest[];
  readonly faults: { add(fault: Fault): void; clear(): void };
  readonly credentials: { add(c: StandinCredentials): void; remove(accessKeyId: string): void };
  /** Clears received events, the request log and faults. */
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
  const buses = new Set(options.buses ?? ['default']);
  const known = new Map((options.credentials ?? [STANDIN_ACCESS_KEY]).map((c) => [c.accessKeyId, c]));
  const faults = new FaultQueue();
  for (const f of options.faults ?? []) faults.add(f);
  let received: WireEvent[] = [];
  let log: StandinRequest[] = [];

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };
  // The SDK reads `code`, `requestId` and `message` from an error body.
  const fail = (res: ServerResponse, status: number, code: string, message: string, eventIds: string[] = []) => {
    log.push({ status, code, eventIds, failedIds: eventIds });
    answer(res, status, { requestId: randomUUID(), code, message });
  };

  async function putEvents(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let raw: Buffer;
    try {
      raw = await readBody(req, options.maxBodyBytes ?? 4 * 1024 * 1024);
    } catch (err) {
      if (!(err instanceof TooLarge)) throw err;
      res.setHeader('connection', 'close');
      return fail(res, 413, 'RequestEntityTooLarge', 'The request body is too large.');
    }
    const refusal = checkAuth({ method: req.method ?? '', pathname: url.pathname, query: url.searchParams, headers: req.headers }, known, now(), options.maxClockSkewMs ?? 15 * 60_000);
    if (refusal) return fail(res, refusal.status, refusal.code, refusal.message);
    if (req.headers['x-eventbridge-version'] !== EVENTBRIDGE_VERSION) return fail(res, 400, 'InvalidArgument', 'x-eventbridge-version must be 2015-06-06.');
    if (req.headers['content-type'] !== PUT_EVENTS_CONTENT_TYPE) return fail(res, 400, 'InvalidArgument', `content-type must be ${PUT_EVENTS_CONTENT_TYPE}.`);
    let events: WireEvent[];
    try {
      events = putEventsBodySchema.parse(JSON.parse(raw.toString('utf8')));
    } catch {
      return fail(res, 400, 'InvalidArgument', 'The body must be a JSON array of CloudEvents.');
    }
    const ids = events.map((e) => e.id ?? '');
    const refused = faults.take('status');
    if (refused) return fail(res, refused.status, refused.code, refused.message, ids);
    const total = events.reduce((n, e) => n + wireEventSize(e), 0);
    // The error code for an oversized request is not documented; this one is the stand-in's choice.
    if (total > MAX_REQUEST_EVENT_BYTES) return fail(res, 400, 'EventsSizeExceeded', `The events total ${total} bytes, over the 262144-byte limit.`, ids);
    const delay = faults.take('latency');
    if (delay) await sleep(delay.ms);

    const failing = faults.take('fail-entries', ids);
    const entries: WireEntry[] = events.map((event) => {
      const entry: WireEntry = { EventId: event.id ?? '', TraceId: randomUUID() };
      const problem = entryProblem(event, buses) ??
        (failing?.ids.includes(entry.EventId) ? { code: failing.code, message: failing.message } : undefined);
      if (problem) return { ...entry, ErrorCode: problem.code, ErrorMessage: problem.message };
      received.push(event);
      return entry;
    });
    const failedIds = entries.filter((e) => e.ErrorCode).map((e) => e.EventId);
    if (faults.take('drop-after-accept')) {
      log.push({ status: 0, eventIds: ids, failedIds, dropped: true });
      req.socket.destroy();
      return;
    }
    log.push({ status: 200, eventIds: ids, failedIds });
    const body: PutEventsAnswer = { RequestId: randomUUID(), ResourceOwnerAccountId: accountId, FailedEntryCount: failedIds.length, EntryList: entries };
    answer(res, 200, body);
  }

  const handle = {
    received: () => received.map((e) => structuredClone(e)),
    requests: () => log.map((r) => ({ ...r })),
    faults: { add: (f: Fault) => faults.add(f), clear: () => faults.clear() },
    credentials: { add: (c: StandinCredentials) => void known.set(c.accessKeyId, c), remove: (id: string) => void known.delete(id) },
    reset: () => {
      received = [];
      log = [];
      faults.clear();
    },
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const work = url.pathname.startsWith('/_standin/')
      ? handleControl(req, res, url, handle)
      : req.method === 'POST' && url.pathname === PUT_EVENTS_PATH
        ? putEvents(req, res, url)
        : Promise.resolve(fail(res, 404, 'ApiNotFound', `No API at ${req.method} ${url.pathname}.`));
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
