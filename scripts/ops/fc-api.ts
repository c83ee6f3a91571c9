// The one file that touches `@alicloud/fc20230330` (the FC 3.0 API, on the operator's machine only): invoke a
// function synchronously and read its triggers. FC's refusals and function errors leave as FcApiError.
import { Readable } from 'node:stream';
import * as fc from '@alicloud/fc20230330';
// the SDK's own dependencies, for its Config and RuntimeOptions classes
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { RuntimeOptions } from '@darabonba/typescript';
import type { CloudCredentials } from '../../shared/runtime/fc-credentials.ts';

type ClientClass = typeof fc.default.default;
// CommonJS flagged __esModule: Node hands the exports object over as `default` (the class is `.default.default`),
// vitest hands over the class itself.
const sdkDefault: unknown = fc.default;
const FcClient: ClientClass = typeof sdkDefault === 'function' ? (sdkDefault as ClientClass) : (sdkDefault as { default: ClientClass }).default;

export interface FcApiOptions {
  /** `<accountId>.<region>.fc.aliyuncs.com`, or `127.0.0.1:<port>`: a bare host. */
  endpoint: string;
  protocol: 'http' | 'https';
  credentials: CloudCredentials;
  connectTimeoutMs?: number;
}

export interface Invocation {
  status: number;
  requestId?: string;
  body: Buffer;
}

export interface HttpTriggerUrls {
  triggerName: string;
  urlInternet?: string;
  urlIntranet?: string;
}

export interface TriggerSummary {
  triggerName: string;
  triggerType: string;
  httpTrigger?: { urlInternet?: string; urlIntranet?: string };
}

/** FC refused the call, could not be reached, or the function failed (`errorType`, from x-fc-error-type). */
export class FcApiError extends Error {
  override name = 'FcApiError';
  constructor(
    message: string,
    readonly details: { status?: number; code?: string; requestId?: string; errorType?: string } = {},
  ) {
    super(message);
  }
}

/** Most bytes of an answer read into memory: FC's own limit on a synchronous response. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/** `http(s)://host[:port]` → the SDK's bare host and protocol. */
export function fcEndpoint(origin: string): { endpoint: string; protocol: 'http' | 'https' } {
  const u = new URL(origin);
  return { endpoint: u.host, protocol: u.protocol === 'http:' ? 'http' : 'https' };
}

function translate(e: unknown, what: string): FcApiError {
  if (e instanceof FcApiError) return e;
  const err = (e ?? {}) as { statusCode?: number; code?: string; message?: string; requestId?: string; data?: Record<string, unknown> };
  if (typeof err.statusCode === 'number') {
    const data = err.data ?? {};
    const message = String(data.Message ?? data.message ?? data.errorMessage ?? '').trim() || 'no message';
    // the SDK writes a field the body lacked as the string 'undefined'
    const given = (v: string | undefined) => (v && v !== 'undefined' ? v : undefined);
    const code = given(err.code);
    const requestId = given(err.requestId);
    return new FcApiError(`${what}: ${err.statusCode}${code ? ` ${code}` : ''}: ${message}${requestId ? ` (request id ${requestId})` : ''}`, {
      status: err.statusCode,
      ...(code ? { code } : {}),
      ...(requestId ? { requestId } : {}),
    });
  }
  if (e instanceof SyntaxError) return new FcApiError(`${what}: FC answered with an error that is not JSON`);
  return new FcApiError(`${what}: ${err.code ? `${err.code} ` : ''}${err.message ?? String(e)}`.trim(), err.code ? { code: err.code } : {});
}

async function readCapped(body: Readable | undefined): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      throw new FcApiError(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** The message of a function error body (`{errorMessage, errorType}` from FC's runtimes), else its text. */
function functionErrorMessage(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const j = JSON.parse(text) as { errorMessage?: unknown; errorType?: unknown };
    if (typeof j.errorMessage === 'string') return `${typeof j.errorType === 'string' ? `${j.errorType}: ` : ''}${j.errorMessage}`;
  } catch {
    // not JSON: the text as it is
  }
  return text.trim() || 'no message';
}

export class FcApi {
  private readonly client: InstanceType<ClientClass>;

  constructor(private readonly o: FcApiOptions) {
    const { accessKeyId, accessKeySecret, securityToken } = o.credentials;
    this.client = new FcClient(
      new $OpenApiUtil.Config({
        accessKeyId,
        accessKeySecret,
        ...(securityToken ? { securityToken } : {}),
        endpoint: o.endpoint,
        protocol: o.protocol,
        connectTimeout: o.connectTimeoutMs ?? 10_000,
      }),
    );
  }

  /**
   * A synchronous invocation: the function's answer, or FcApiError when FC refuses (HTTP error) or the function
   * fails (FC answers 200 with x-fc-error-type). `timeoutMs` must outlast the function's own timeout.
   */
  async invoke(functionName: string, payload: Buffer, timeoutMs: number): Promise<Invocation> {
    const what = `FC InvokeFunction ${functionName}`;
    let res: fc.InvokeFunctionResponse;
    try {
      res = await this.client.invokeFunctionWithOptions(
        functionName,
        new fc.InvokeFunctionRequest({ body: Readable.from([payload]) }),
        new fc.InvokeFunctionHeaders({ xFcInvocationType: 'Sync' }),
        new RuntimeOptions({ readTimeout: timeoutMs, connectTimeout: this.o.connectTimeoutMs ?? 10_000, autoretry: false }),
      );
    } catch (e) {
      throw translate(e, what);
    }
    const headers = res.headers ?? {};
    const requestId = headers['x-fc-request-id'];
    const body = await readCapped(res.body).catch((e: unknown) => {
      throw translate(e, what);
    });
    const errorType = headers['x-fc-error-type'];
    if (errorType) {
      throw new FcApiError(`${functionName} failed (${errorType}): ${functionErrorMessage(body)}${requestId ? ` (request id ${requestId})` : ''}`, {
        status: res.statusCode ?? 200,
        errorType,
        ...(requestId ? { requestId } : {}),
      });
    }
    return { status: res.statusCode ?? 200, ...(requestId ? { requestId } : {}), body };
  }

  /** Every trigger of the function (following nextToken). */
  async listTriggers(functionName: string): Promise<TriggerSummary[]> {
    const out: TriggerSummary[] = [];
    let nextToken: string | undefined;
    do {
      let res: fc.ListTriggersResponse;
      try {
        res = await this.client.listTriggersWithOptions(functionName, new fc.ListTriggersRequest({ limit: 100, ...(nextToken ? { nextToken } : {}) }), {}, new RuntimeOptions({}));
      } catch (e) {
        throw translate(e, `FC ListTriggers ${functionName}`);
      }
      for (const t of res.body?.triggers ?? []) out.push(summary(t));
      nextToken = res.body?.nextToken || undefined;
    } while (nextToken);
    return out;
  }

  async getTrigger(functionName: string, triggerName: string): Promise<TriggerSummary> {
    try {
      const res = await this.client.getTriggerWithOptions(functionName, triggerName, {}, new RuntimeOptions({}));
      return summary(res.body ?? new fc.Trigger({}));
    } catch (e) {
      throw translate(e, `FC GetTrigger ${functionName}/${triggerName}`);
    }
  }
}

function summary(t: fc.Trigger): TriggerSummary {
  const urls = t.httpTrigger ? { ...(t.httpTrigger.urlInternet ? { urlInternet: t.httpTrigger.urlInternet } : {}), ...(t.httpTrigger.urlIntranet ? { urlIntranet: t.httpTrigger.urlIntranet } : {}) } : undefined;
  return { triggerName: t.triggerName ?? '', triggerType: t.triggerType ?? '', ...(urls ? { httpTrigger: urls } : {}) };
}
