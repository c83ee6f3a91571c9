// DashScope's OpenAI-compatible mode (/compatible-mode/v1): chat and chat streams over undici directly (the
// hot path; compat-chat-http.ts says why), embeddings and file uploads through the openai SDK. The SDK builds
// those requests; retries, deadlines and errors are ours, so they behave exactly as on the native endpoints.
import OpenAI, { toFile } from 'openai';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import type { CreateEmbeddingResponse, EmbeddingCreateParams } from 'openai/resources/embeddings';
import type { FilePurpose } from 'openai/resources/files';
import type { CallOptions, OnClientEvent } from './call-options.ts';
import { emit } from './call-options.ts';
import type { RelayStream } from './chat-chunks.ts';
import { CompatChatHttp } from './compat-chat-http.ts';
import { captureOption, createCompatFetch } from './compat-fetch.ts';
import type { FetchCapture } from './compat-fetch.ts';
import { Deadline } from './deadline.ts';
import { DashScopeConnectionError, DashScopeError, DashScopeResponseError, missingApiKeyError } from './errors.ts';
import { toRequestFailure } from './failure.ts';
import { NativeTransport } from './native-http.ts';
import type { TransportConfig } from './native-http.ts';
import { withRetry } from './retry.ts';
import type { RetryPolicy } from './retry.ts';
import { embeddingResponseSchema, fileObjectSchema } from './schemas.ts';
import type { DashScopeFileObject } from './schemas.ts';

/** DashScope's additions to the OpenAI chat body; passed through untouched. */
export interface DashScopeChatExtras {
  enable_thinking?: boolean;
  thinking_budget?: number;
  top_k?: number;
  enable_search?: boolean;
  search_options?: Record<string, unknown>;
  max_input_tokens?: number;
  vl_high_resolution_images?: boolean;
  enable_code_interpreter?: boolean;
}

/**
 * An OpenAI chat body plus DashScope's extras, passed through untouched. `messages` is loosely typed because
 * callers relay what their own clients sent; `stream` is set by the method called (chat or chatStream).
 */
export type DashScopeChatBody = Omit<ChatCompletionCreateParamsBase, 'stream' | 'messages'> &
  DashScopeChatExtras & { messages: readonly unknown[]; stream?: boolean | null };

type RequestOptions = NonNullable<Parameters<OpenAI['embeddings']['create']>[1]>;

// the SDK's own timer must never fire before ours (setTimeout's largest delay)
const SDK_TIMEOUT_MS = 2_147_483_647;

interface Attempt {
  signal: AbortSignal;
  capture: FetchCapture;
}

export class CompatibleApi {
  private readonly chatHttp: CompatChatHttp;
  private readonly sdk: OpenAI;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly onEvent?: OnClientEvent;

  private readonly hasKey: boolean;

  constructor(cfg: TransportConfig) {
    this.hasKey = cfg.apiKey !== '';
    this.retry = cfg.retry;
    this.timeoutMs = cfg.timeoutMs;
    this.onEvent = cfg.onEvent;
    const prefix = new URL(cfg.origin).pathname.replace(/\/+$/, '');
    this.chatHttp = new CompatChatHttp(new NativeTransport(cfg), `${prefix}/compatible-mode/v1/chat/completions`);
    this.sdk = new OpenAI({
      // a key is checked per call (missing_api_key); the SDK refuses to be built without one
      apiKey: cfg.apiKey || 'unset',
      baseURL: `${cfg.origin}/compatible-mode/v1`,
      maxRetries: 0,
      timeout: SDK_TIMEOUT_MS,
      // nothing from OPENAI_* variables leaks into DashScope requests, and the SDK stays silent
      organization: null,
      project: null,
      logLevel: 'off',
      fetch: createCompatFetch(cfg.agent),
      defaultHeaders: cfg.workspace ? { 'X-DashScope-WorkSpace': cfg.workspace } : {},
    });
  }

  chat(body: DashScopeChatBody, opts: CallOptions = {}): Promise<{ completion: ChatCompletion; requestId: string }> {
    return this.chatHttp.chat(body, opts);
  }

  /** Resolves once the response headers arrived (retries happen only before that). */
  chatStream(body: DashScopeChatBody, opts: CallOptions = {}): Promise<{ requestId: string; stream: AsyncIterable<ChatCompletionChunk> }> {
    return this.chatHttp.chatStream(body, opts);
  }

  chatRelay(body: DashScopeChatBody, opts: CallOptions = {}): Promise<{ requestId: string; stream: RelayStream }> {
    return this.chatHttp.chatRelay(body, opts);
  }

  /** Always asks for `encoding_format: 'float'` (base64 support upstream is unverified). */
  async embed(body: EmbeddingCreateParams, opts: CallOptions = {}): Promise<{ response: CreateEmbeddingResponse; requestId: string }> {
    return this.call('embed', opts, async (a) => {
      const { data, response } = await this.sdk.embeddings.create({ ...body, encoding_format: 'float' }, this.sdkOptions(a, opts)).withResponse();
      const requestId = response.headers.get('x-request-id') ?? pickBodyRequestId(data);
      check(embeddingResponseSchema, data, 'embeddings response', response.status, requestId);
      return { response: data, requestId };
    });
  }

  async uploadFile(file: Blob | Buffer, filename: string, purpose: string, opts: CallOptions = {}): Promise<DashScopeFileObject & { requestId: string }> {
    const upload = await toFile(file, filename);
    return this.call('uploadFile', opts, async (a) => {
      const { data, response } = await this.sdk.files.create({ file: upload, purpose: purpose as FilePurpose }, this.sdkOptions(a, opts)).withResponse();
      const requestId = response.headers.get('x-request-id') ?? pickBodyRequestId(data);
      const parsed = check(fileObjectSchema, data, 'file object', response.status, requestId);
      return { ...parsed, requestId };
    });
  }

  private sdkOptions(a: Attempt, opts: CallOptions): RequestOptions {
    // the capture rides in fetchOptions (a symbol key the SDK copies through to our fetch untouched)
    return { signal: a.signal, maxRetries: 0, headers: opts.headers, fetchOptions: captureOption(a.capture) as RequestOptions['fetchOptions'] };
  }

  /** One retried SDK call. */
  private async call<T>(operation: string, opts: CallOptions, run: (a: Attempt) => Promise<T>): Promise<T> {
    if (!this.hasKey) throw missingApiKeyError();
    let attempts = 0;
    return withRetry(
      async (n) => {
        attempts = n;
        const deadline = new Deadline(opts.timeoutMs ?? this.timeoutMs, opts.signal);
        const capture: FetchCapture = {};
        try {
          if (deadline.reason) throw deadline.reason;
          const result = await run({ signal: deadline.signal, capture });
          emit(this.onEvent, { kind: 'response', operation, status: capture.status ?? 200, attempts, requestId: capture.requestId ?? '' });
          return result;
        } catch (err) {
          throw toCompatFailure(err, deadline, capture);
        } finally {
          deadline.dispose();
        }
      },
      this.retry,
      opts.signal,
      (e) => emit(this.onEvent, { kind: 'retry', operation, retry: e.retry, delayMs: e.delayMs, code: e.error.code, status: e.error.status }),
    );
  }
}

/**
 * Our typed error for whatever an SDK request threw, preferring what the fetch capture saw. An error from
 * before fetch was called (the SDK refusing its input) is not DashScope's: it is passed on as it is.
 */
function toCompatFailure(err: unknown, deadline: Deadline, capture: FetchCapture): unknown {
  if (capture.apiError) return capture.apiError;
  if (deadline.reason) return deadline.reason;
  if (err instanceof DashScopeError) return err;
  if (!capture.called) return err;
  if (capture.failure !== undefined) return toRequestFailure(capture.failure, deadline);
  if (capture.status !== undefined) {
    // the answer started and then could not be read: broken off (retryable) or not JSON (not retryable)
    if (err instanceof SyntaxError) {
      return new DashScopeResponseError('DashScope answered with a body that is not JSON', { status: capture.status, requestId: capture.requestId, cause: err });
    }
    return new DashScopeConnectionError('the DashScope response broke off before its end', { beforeSend: false, cause: err });
  }
  return toRequestFailure(err, deadline);
}

function check<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown, what: string, status: number, requestId: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new DashScopeResponseError(`DashScope sent a ${what} of unexpected shape (${issue?.path.join('.') || 'root'}: ${issue?.message})`, { status, requestId });
}

function pickBodyRequestId(data: unknown): string {
  const d = data as { request_id?: unknown; id?: unknown };
  return typeof d.request_id === 'string' ? d.request_id : '';
}
