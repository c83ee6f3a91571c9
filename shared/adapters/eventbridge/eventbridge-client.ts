// Our EventBridge data-plane client over node:http(s) (cloud-http): each call signed as the official SDK signs
// it, answers checked with zod, failures sorted into kinds callers can retry on; no raw error leaves this file.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { readAll, sendCloudRequest } from '../cloud-http/cloud-http.ts';
import { signature, stringToSign } from './eventbridge-signature.ts';

export interface EventBridgeCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** Set for STS credentials (e.g. Function Compute's role credentials). */
  securityToken?: string;
}

export interface EventBridgeClientOptions {
  /** A bare host, no scheme: `<accountId>.eventbridge.<region>.aliyuncs.com`, or `127.0.0.1:<port>`. */
  endpoint: string;
  /** Default https; http for the VPC endpoint or a local stand-in. */
  protocol?: 'https' | 'http';
  regionId?: string;
  /** Asked before every call, never cached here: STS credentials rotate under a running instance. */
  credentials: () => EventBridgeCredentials | Promise<EventBridgeCredentials>;
  /** Longest silence on the connection (connecting, sending, waiting, reading) before a call fails; default 10 s. */
  timeoutMs?: number;
  /** The signed date and nonce; tests fix them to compare a request with the SDK's. */
  now?: () => Date;
  nonce?: () => string;
}

/** A CloudEvent as the adapter hands it over. */
export interface OutgoingEvent {
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: string;
  /** The JSON text of `data`: JSON content goes on the wire as a JSON value, not base64. */
  dataJson: string;
  busName: string;
}

/** One entry per event sent, in the order sent. */
export interface PutEventsOutcome {
  requestId: string | undefined;
  entries: Array<{ eventId: string; errorCode?: string; errorMessage?: string }>;
}

export interface EventBusInfo {
  name: string;
  arn?: string;
  description?: string;
  /** Epoch ms. */
  createdAt?: number;
}

export type EventBridgeFailureKind = 'throttled' | 'unavailable' | 'network' | 'expired-credentials' | 'auth' | 'refused';

/** A call that failed as a whole; `retryable` says whether sending the same request again may help. */
export class EventBridgeCallError extends Error {
  override name = 'EventBridgeCallError';
  constructor(
    readonly action: string,
    readonly kind: EventBridgeFailureKind,
    readonly code: string | undefined,
    readonly requestId: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`${action} failed (${kind}${code ? ` ${code}` : ''}${requestId ? `, request ${requestId}` : ''})`, options);
  }
  get retryable(): boolean {
    return this.kind === 'throttled' || this.kind === 'unavailable' || this.kind === 'network' || this.kind === 'expired-credentials';
  }
}

/** The credentials provider failed: nothing was sent. Its error is the cause, never the message. */
export class EventBridgeCredentialsError extends Error {
  override name = 'EventBridgeCredentialsError';
}

const EVENTBRIDGE_VERSION = '2015-06-06';
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const CLOUDEVENTS_BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json; charset=utf-8';
// Answers are small (an entry per event, a page of traces, a few events); this only bounds a broken one.
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

const THROTTLED = new Set(['TooManyRequests', 'Throttling', 'Throttling.User', 'ThrottlingException']);
// STS credentials expire while a call is in flight; the next attempt asks the provider again.
const EXPIRED = new Set(['StsAccessIdExpired', 'SecurityTokenExpired', 'InvalidSecurityToken.Expired']);
const AUTH = new Set(['InvalidAccessKeyId', 'InvalidStsAccessKeyId', 'SecurityTokenInvalid', 'SignatureDoesNotMatch', 'AccessDenied', 'AccessDeniedByPreCheck', 'ServiceAccessDenied', 'MissingAuthorization', 'RequestTimeTooSkewed']);
const NOT_FOUND = new Set(['EventBusNotExist', 'EventBusNotExists']);
// The service's code for creating a bus that exists is not documented; both spellings are taken.
const ALREADY_EXISTS = new Set(['EventBusAlreadyExist', 'EventBusAlreadyExists']);

function kindOf(code: string): EventBridgeFailureKind {
  return THROTTLED.has(code) ? 'throttled'
    : EXPIRED.has(code) ? 'expired-credentials'
    : AUTH.has(code) ? 'auth'
    : /internal|unavailable|busy|timeout/i.test(code) ? 'unavailable'
    : 'refused';
}

// The SDK reads `code`, `requestId` and `message` from an error answer.
const errorAnswerSchema = z.object({ code: z.string(), requestId: z.string().nullish() });
const putEventsAnswerSchema = z.object({
  RequestId: z.string().nullish(),
  FailedEntryCount: z.number().nullish(),
  EntryList: z.array(z.object({ EventId: z.string().nullish(), ErrorCode: z.string().nullish(), ErrorMessage: z.string().nullish() })).nullish(),
});
const eventBusAnswerSchema = z.object({
  EventBusName: z.string().nullish(),
  EventBusARN: z.string().nullish(),
  Description: z.string().nullish(),
  CreateTimestamp: z.number().nullish(),
});

/** The wire form the SDK gives a CloudEvent: JSON content as a JSON value, other content base64, extensions top-level. */
function wireEvent(e: OutgoingEvent): Record<string, unknown> {
  const json = e.datacontenttype === '' || e.datacontenttype.startsWith('application/json') || e.datacontenttype.startsWith('text/json');
  let data: Record<string, unknown>;
  if (!json) data = { data_base64: Buffer.from(e.dataJson, 'utf8').toString('base64') };
  else {
    try {
      data = { data: JSON.parse(e.dataJson) as unknown };
    } catch {
      data = { data: e.dataJson };
    }
  }
  // Same attribute order as the SDK, so the bodies compare byte for byte.
  return { id: e.id, source: e.source, specversion: '1.0', type: e.type, datacontenttype: e.datacontenttype, subject: e.subject, time: e.time, ...data, aliyuneventbusname: e.busName };
}

export class EventBridgeClient {
  readonly #options: EventBridgeClientOptions;

  constructor(options: EventBridgeClientOptions) {
    if (options.endpoint.includes('://') || options.endpoint.includes('/')) throw new Error('EventBridge endpoint must be a bare host; set protocol separately');
    this.#options = options;
  }

  /** One signed POST of a JSON body to `path`; resolves with the answer's JSON object. Throws EventBridgeCallError. */
  async call(action: string, path: string, body: unknown, contentType = JSON_CONTENT_TYPE): Promise<Record<string, unknown>> {
    let credentials: EventBridgeCredentials;
    try {
      credentials = await this.#options.credentials();
    } catch (cause) {
      throw new EventBridgeCredentialsError(`${action}: no credentials to sign with`, { cause });
    }
    const payload = Buffer.from(JSON.stringify(body), 'utf8');
    const headers = this.#signedHeaders(path, contentType, credentials);
    let status: number;
    let text: string;
    try {
      const res = await sendCloudRequest({ method: 'POST', url: new URL(`${this.#options.protocol ?? 'https'}://${this.#options.endpoint}${path}`), headers, body: payload, timeoutMs: this.#options.timeoutMs ?? 10_000 });
      status = res.status;
      text = (await readAll(res, MAX_ANSWER_BYTES)).toString('utf8');
    } catch (cause) {
      // No answer we could read (reset, timeout, refused connection): the call may or may not have taken effect.
      throw new EventBridgeCallError(action, 'network', undefined, undefined, { cause });
    }
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      answer = undefined;
    }
    if (status >= 400) {
      const error = errorAnswerSchema.safeParse(answer);
      // An error without the service's `code` (HTML from a proxy, an empty body) is sorted as the SDK sorts it.
      if (!error.success) throw new EventBridgeCallError(action, 'network', undefined, undefined);
      throw new EventBridgeCallError(action, kindOf(error.data.code), error.data.code, error.data.requestId ?? undefined);
    }
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw new EventBridgeCallError(action, 'network', 'UnreadableAnswer', undefined);
    return answer as Record<string, unknown>;
  }

  /** The headers the SDK sends, signed with these credentials (STS adds the key id and token headers). */
  #signedHeaders(path: string, contentType: string, credentials: EventBridgeCredentials): Record<string, string> {
    const headers: Record<string, string> = {
      date: (this.#options.now?.() ?? new Date()).toUTCString(),
      host: this.#options.endpoint,
      accept: 'application/json',
      'x-acs-signature-nonce': this.#options.nonce?.() ?? randomUUID(),
      'x-acs-signature-method': 'HMAC-SHA1',
      'x-acs-signature-version': '1.0',
      'x-eventbridge-version': EVENTBRIDGE_VERSION,
      'user-agent': 'dashscope-fc',
      'content-type': contentType,
    };
    if (this.#options.regionId) headers['x-eventbridge-regionid'] = this.#options.regionId;
    if (credentials.securityToken) {
      headers['x-acs-accesskey-id'] = credentials.accessKeyId;
      headers['x-acs-security-token'] = credentials.securityToken;
    }
    headers.authorization = `acs:${credentials.accessKeyId}:${signature(stringToSign('POST', path, headers), credentials.accessKeySecret)}`;
    return headers;
  }

  /** Sends one PutEvents request; throws EventBridgeCallError when the call fails as a whole. */
  async putEvents(events: OutgoingEvent[]): Promise<PutEventsOutcome> {
    const answer = await this.call('PutEvents', '/openapi/putEvents', events.map(wireEvent), CLOUDEVENTS_BATCH_CONTENT_TYPE);
    const parsed = putEventsAnswerSchema.safeParse(answer);
    const list = parsed.success ? (parsed.data.EntryList ?? []) : [];
    if (!parsed.success || list.length !== events.length) throw new EventBridgeCallError('PutEvents', 'network', 'UnreadableAnswer', undefined);
    const entries = list.map((entry, i) => ({
      eventId: entry.EventId ?? events[i]!.id,
      ...(entry.ErrorCode ? { errorCode: entry.ErrorCode, errorMessage: entry.ErrorMessage ?? '' } : {}),
    }));
    // A failed count with no entry saying which: none can be trusted as taken.
    if ((parsed.data.FailedEntryCount ?? 0) > 0 && !entries.some((e) => e.errorCode)) {
      for (const e of entries) Object.assign(e, { errorCode: 'Unknown', errorMessage: 'failed without an entry error' });
    }
    return { requestId: parsed.data.RequestId ?? undefined, entries };
  }

  /** The bus, or undefined when it does not exist. */
  async getEventBus(name: string): Promise<EventBusInfo | undefined> {
    let answer: Record<string, unknown>;
    try {
      answer = await this.call('GetEventBus', '/openapi/getEventBus', { EventBusName: name });
    } catch (err) {
      if (err instanceof EventBridgeCallError && err.code && NOT_FOUND.has(err.code)) return undefined;
      throw err;
    }
    const parsed = eventBusAnswerSchema.safeParse(answer);
    if (!parsed.success) throw new EventBridgeCallError('GetEventBus', 'network', 'UnreadableAnswer', undefined);
    const bus = parsed.data;
    return {
      name: bus.EventBusName ?? name,
      ...(bus.EventBusARN ? { arn: bus.EventBusARN } : {}),
      ...(bus.Description ? { description: bus.Description } : {}),
      ...(bus.CreateTimestamp != null ? { createdAt: bus.CreateTimestamp } : {}),
    };
  }

  /** Creates the bus; `exists` when the service says it already does. */
  async createEventBus(name: string, description: string): Promise<'created' | 'exists'> {
    try {
      await this.call('CreateEventBus', '/openapi/createEventBus', { EventBusName: name, Description: description });
      return 'created';
    } catch (err) {
      if (err instanceof EventBridgeCallError && err.code && ALREADY_EXISTS.has(err.code)) return 'exists';
      throw err;
    }
  }
}
