// The `fetch` the openai SDK uses for compatible mode: undici's fetch over our pooled Agent, plus a per-request
// capture through which the client learns what really happened (the raw error body, in either envelope, and
// the low-level failure), since the SDK keeps only part of it in its own errors.
import { FormData as UndiciFormData, fetch as undiciFetch, Response as UndiciResponse } from 'undici';
import type { Dispatcher } from 'undici';
import { apiErrorFromBody, retryAfterMs } from './error-body.ts';
import type { DashScopeApiError } from './errors.ts';

/** Filled in by the fetch during one SDK request. */
export interface FetchCapture {
  /** Status of the response, once its headers arrived. */
  status?: number;
  requestId?: string;
  /** The error answer, parsed from the raw body. */
  apiError?: DashScopeApiError;
  /** What fetch threw before any response. */
  failure?: unknown;
  /** The SDK got as far as calling fetch (otherwise it failed before sending anything). */
  called?: boolean;
}

/** The key under which a request's capture travels in the SDK's per-request `fetchOptions`. */
export const CAPTURE = Symbol('dashscope.fetch-capture');

type FetchInit = Record<string | symbol, unknown>;

export function captureOption(capture: FetchCapture): Record<symbol, FetchCapture> {
  return { [CAPTURE]: capture };
}

/** Typed for the openai SDK's `fetch` option; implemented with undici so that it shares our Agent. */
export function createCompatFetch(agent: Dispatcher): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  const compatFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const { [CAPTURE]: rawCapture, ...rest } = (init ?? {}) as FetchInit;
    const capture = rawCapture as FetchCapture | undefined;
    if (capture) capture.called = true;
    if (rest.body instanceof FormData) rest.body = toUndiciForm(rest.body);
    let res: UndiciResponse;
    try {
      res = await undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(rest as object), dispatcher: agent });
    } catch (err) {
      if (capture) capture.failure = err;
      throw err;
    }
    const requestId = res.headers.get('x-request-id') ?? undefined;
    if (capture) {
      capture.status = res.status;
      capture.requestId = requestId;
    }
    if (res.ok || !capture) return res as unknown as Response;
    const text = await res.text().catch(() => '');
    capture.apiError = apiErrorFromBody(res.status, text, { headerRequestId: requestId, retryAfterMs: retryAfterMs(res.headers) });
    // hand the SDK an equivalent, already-read response; its own error is then replaced by ours
    return new UndiciResponse(text, { status: res.status, statusText: res.statusText, headers: res.headers }) as unknown as Response;
  };
  // The SDK builds uploads with the global FormData and probes `fetch.Response` to see whether the fetch can
  // send it; the global Response can, and the body is converted to undici's own FormData above.
  return Object.assign(compatFetch, { Response: globalThis.Response });
}

/** The global FormData (Node's bundled undici) copied into the FormData class of the undici we send with. */
function toUndiciForm(form: FormData): UndiciFormData {
  const out = new UndiciFormData();
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') out.append(name, value);
    else out.append(name, value, value.name);
  }
  return out;
}
