// The one file that touches `@alicloud/eventbridge`: a typed PutEvents call over the SDK, its answer checked
// with zod and its failures sorted into kinds the adapter can retry on; no vendor error leaves this file.
import * as eventbridge from '@alicloud/eventbridge';
import { z } from 'zod';

type ClientClass = typeof eventbridge.default.default;
// The SDK is CommonJS flagged __esModule: Node hands its exports object over as `default` (the class is then
// `.default.default`), while vitest and bundlers that honour the flag hand over the class itself.
const sdkDefault: unknown = eventbridge.default;
const EventBridgeClient: ClientClass = typeof sdkDefault === 'function' ? (sdkDefault as ClientClass) : (sdkDefault as { default: ClientClass }).default;

export interface EventBridgeCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** Set for STS credentials (e.g. Function Compute's role credentials). */
  securityToken?: string;
}

export interface EventBridgeConnection {
  /** A bare host, no scheme: `<accountId>.eventbridge.<region>.aliyuncs.com`, or `127.0.0.1:<port>`. */
  endpoint: string;
  protocol: 'https' | 'http';
  regionId?: string;
  connectTimeoutMs: number;
  readTimeoutMs: number;
}

/** A CloudEvent as the adapter hands it to the SDK. */
export interface OutgoingEvent {
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: string;
  /** The JSON text of `data`: the SDK sends JSON content as a JSON value, not base64. */
  dataJson: string;
  busName: string;
}

/** One entry per event sent, in the order sent. */
export interface PutEventsOutcome {
  requestId: string | undefined;
  entries: Array<{ eventId: string; errorCode?: string; errorMessage?: string }>;
}

export type PutEventsFailureKind = 'throttled' | 'unavailable' | 'network' | 'expired-credentials' | 'auth' | 'refused';

/** A PutEvents call that failed as a whole; `retryable` says whether sending the same events again may help. */
export class PutEventsCallError extends Error {
  override name = 'PutEventsCallError';
  constructor(
    readonly kind: PutEventsFailureKind,
    readonly code: string | undefined,
    readonly requestId: string | undefined,
  ) {
    super(`PutEvents failed (${kind}${code ? ` ${code}` : ''}${requestId ? `, request ${requestId}` : ''})`);
  }
  get retryable(): boolean {
    return this.kind === 'throttled' || this.kind === 'unavailable' || this.kind === 'network' || this.kind === 'expired-credentials';
  }
}

const answerSchema = z.object({
  requestId: z.string().nullish(),
  failedEntryCount: z.number().nullish(),
  entryList: z.array(z.object({ eventId: z.string().nullish(), errorCode: z.string().nullish(), errorMessage: z.string().nullish() })).nullish(),
});
// The SDK's error for a 4xx/5xx answer carries the answer's body as `data`; socket errors carry only a `code`.
const serviceErrorSchema = z.object({ code: z.string(), data: z.object({ code: z.string(), requestId: z.string().nullish() }) });

const THROTTLED = new Set(['TooManyRequests', 'Throttling', 'Throttling.User', 'ThrottlingException']);
// STS credentials expire while a publish is in flight; the next attempt asks the provider again.
const EXPIRED = new Set(['StsAccessIdExpired', 'SecurityTokenExpired', 'InvalidSecurityToken.Expired']);
const AUTH = new Set(['InvalidAccessKeyId', 'InvalidStsAccessKeyId', 'SecurityTokenInvalid', 'SignatureDoesNotMatch', 'AccessDenied', 'AccessDeniedByPreCheck', 'ServiceAccessDenied', 'MissingAuthorization', 'RequestTimeTooSkewed']);

function classify(err: unknown): PutEventsCallError {
  const service = serviceErrorSchema.safeParse(err);
  // An error without the service's `code` never got an answer we could read (reset, timeout, HTML from a proxy):
  // the events may or may not have been taken, and their stable ids make sending them again harmless.
  if (!service.success) return new PutEventsCallError('network', undefined, undefined);
  const { code } = service.data;
  const requestId = service.data.data?.requestId ?? undefined;
  const kind: PutEventsFailureKind = THROTTLED.has(code) ? 'throttled'
    : EXPIRED.has(code) ? 'expired-credentials'
    : AUTH.has(code) ? 'auth'
    : /internal|unavailable|busy|timeout/i.test(code) ? 'unavailable'
    : 'refused';
  return new PutEventsCallError(kind, code, requestId);
}

/** Sends one PutEvents request with these credentials; throws PutEventsCallError on any failure of the call. */
export async function putEvents(connection: EventBridgeConnection, credentials: EventBridgeCredentials, events: OutgoingEvent[]): Promise<PutEventsOutcome> {
  let answer: unknown;
  try {
    // A client per call: the SDK binds credentials at construction and STS credentials must not outlive their use.
    const client = new EventBridgeClient(new eventbridge.Config({
      accessKeyId: credentials.accessKeyId,
      accessKeySecret: credentials.accessKeySecret,
      securityToken: credentials.securityToken,
      endpoint: connection.endpoint,
      protocol: connection.protocol,
      regionId: connection.regionId,
      connectTimeout: connection.connectTimeoutMs,
      readTimeout: connection.readTimeoutMs,
    }));
    answer = await client.putEvents(events.map((e) => new eventbridge.CloudEvent({
      id: e.id,
      source: e.source,
      type: e.type,
      specversion: '1.0',
      subject: e.subject,
      time: e.time,
      datacontenttype: e.datacontenttype,
      extensions: { aliyuneventbusname: e.busName },
      data: Buffer.from(e.dataJson, 'utf8'),
    })));
  } catch (err) {
    throw classify(err);
  }
  const parsed = answerSchema.safeParse(answer);
  const list = parsed.success ? (parsed.data.entryList ?? []) : [];
  if (!parsed.success || list.length !== events.length) throw new PutEventsCallError('network', 'UnreadableAnswer', undefined);
  const entries = list.map((entry, i) => ({
    eventId: entry.eventId ?? events[i]!.id,
    ...(entry.errorCode ? { errorCode: entry.errorCode, errorMessage: entry.errorMessage ?? '' } : {}),
  }));
  // A failed count with no entry saying which: none can be trusted as taken.
  if ((parsed.data.failedEntryCount ?? 0) > 0 && !entries.some((e) => e.errorCode)) {
    for (const e of entries) Object.assign(e, { errorCode: 'Unknown', errorMessage: 'failed without an entry error' });
  }
  return { requestId: parsed.data.requestId ?? undefined, entries };
}
