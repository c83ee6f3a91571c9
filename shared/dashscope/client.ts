// The one DashScope client (compatible-mode chat and embeddings, native tasks), built once per process and
// shared by every use case; every call goes through transport.ts. It never logs: `onEvent` is for metrics.
import type { Agent as HttpAgent } from 'node:http';
import type { Config } from '../config/config.ts';
import type { ChatUpstream } from '../ports/chat-upstream.ts';
import type { SpeechBody, SpeechStream, SpeechUpstream, SynthesizedSpeech } from '../ports/speech-upstream.ts';
import type { TaskUpstream } from '../ports/task-upstream.ts';
import type { FineTuneCreateBody, FineTuneUpstream, UpstreamFineTuneJob } from '../ports/fine-tune-upstream.ts';
import { FineTunesApi } from './fine-tunes.ts';
import type { CallOptions } from '../ports/upstream-call.ts';
import type { OnClientEvent } from './call-options.ts';
import type { RelayStream } from './chat-chunks.ts';
import { CompatibleApi } from './compatible.ts';
import type { ChatCompletion, DashScopeChatBody, EmbeddingBody, EmbeddingResponse } from './compat-types.ts';
import { poolAgent } from './pool-agent.ts';
import { DashScopeTransport } from './transport.ts';
import { defaultRetryPolicy } from './retry.ts';
import type { RetryPolicy } from './retry.ts';
import type { DashScopeTaskList, DashScopeTaskResponse } from './task-schemas.ts';
import { TasksApi } from './tasks.ts';
import { SpeechApi } from './speech.ts';
import type { TaskCreateBody, TaskEndpoint, TaskListQuery } from './tasks.ts';

export interface DashScopeClientOptions {
  /** Scheme and host (e.g. `https://dashscope.aliyuncs.com`, or the emulator's URL); a path on it prefixes compatible-mode paths only. */
  origin: string;
  /** An empty key is allowed at construction; every call then fails with `missing_api_key`. */
  apiKey: string;
  /** Sent as `X-DashScope-WorkSpace` (required for RAM sub-account keys). */
  workspace?: string;
  /** Default per-attempt deadline of every call. */
  timeoutMs: number;
  /** Retries after the first attempt, for what a retry can fix. */
  maxRetries: number;
  onEvent?: OnClientEvent;
  /** Backoff tuning and test seams (sleep, random). */
  retry?: Partial<Omit<RetryPolicy, 'maxRetries'>>;
  /**
   * A keep-alive connection pool to use instead of the client's own, of the origin's protocol (an https.Agent
   * for an https origin); it is then not closed by `close()`.
   */
  agent?: HttpAgent;
}

export class DashScopeClient implements ChatUpstream, TaskUpstream, SpeechUpstream, FineTuneUpstream {
  private readonly agent: HttpAgent;
  private readonly ownsAgent: boolean;
  private readonly compatible: CompatibleApi;
  private readonly tasks: TasksApi;
  private readonly speech: SpeechApi;
  private readonly fineTunes: FineTunesApi;

  constructor(options: DashScopeClientOptions) {
    const origin = options.origin.replace(/\/+$/, '');
    this.ownsAgent = !options.agent;
    this.agent = options.agent ?? poolAgent(new URL(origin).protocol);
    const transport = new DashScopeTransport({
      origin,
      apiKey: options.apiKey,
      workspace: options.workspace,
      timeoutMs: options.timeoutMs,
      retry: defaultRetryPolicy(options.maxRetries, options.retry),
      agent: this.agent,
      onEvent: options.onEvent,
    });
    this.compatible = new CompatibleApi(transport, new URL(origin).pathname.replace(/\/+$/, ''));
    this.tasks = new TasksApi(transport);
    this.speech = new SpeechApi(transport);
    this.fineTunes = new FineTunesApi(transport, new URL(origin).pathname.replace(/\/+$/, ''));
  }

  /** Non-streamed chat completion (compatible mode). */
  chat(body: DashScopeChatBody, opts?: CallOptions): Promise<{ completion: ChatCompletion; requestId: string }> {
    return this.compatible.chat(body, opts);
  }

  /**
   * A chat stream, for relaying it on: resolves when the response headers arrived (retries happen only before
   * that); `stream.pump(onRead)` pushes the chunks each read of the body completed, as RelayChunks (each
   * chunk's text as sent; chunks carrying only generated text are parsed only when read). Stopping early
   * (onRead throws, the caller aborts) cancels the upstream request.
   */
  chatRelay(body: DashScopeChatBody, opts?: CallOptions): Promise<{ requestId: string; stream: RelayStream }> {
    return this.compatible.chatRelay(body, opts);
  }

  /** Embeddings (compatible mode), always as floats. */
  embed(body: EmbeddingBody, opts?: CallOptions): Promise<{ response: EmbeddingResponse; requestId: string }> {
    return this.compatible.embed(body, opts);
  }

  /** Creates a native async task; throws DashScopeAmbiguousError (never re-sent) when the outcome is unknown. */
  createTask(endpoint: TaskEndpoint | (string & {}), body: TaskCreateBody, opts?: CallOptions): Promise<{ taskId: string; status: string; requestId: string }> {
    return this.tasks.createTask(endpoint, body, opts);
  }

  getTask(taskId: string, opts?: CallOptions): Promise<DashScopeTaskResponse & { requestId: string }> {
    return this.tasks.getTask(taskId, opts);
  }

  cancelTask(taskId: string, opts?: CallOptions): Promise<{ requestId: string }> {
    return this.tasks.cancelTask(taskId, opts);
  }

  listTasks(query?: TaskListQuery, opts?: CallOptions): Promise<DashScopeTaskList & { requestId: string }> {
    return this.tasks.listTasks(query, opts);
  }

  /** One Qwen TTS synthesis answered with its WAV URL; never re-sent once it may have reached DashScope. */
  synthesizeSpeech(body: SpeechBody, opts?: CallOptions): Promise<SynthesizedSpeech> {
    return this.speech.synthesize(body, opts);
  }

  /** One Qwen TTS synthesis streamed as PCM chunks (native SSE); resolves when the response head arrived. */
  streamSpeech(body: SpeechBody, opts?: CallOptions): Promise<SpeechStream> {
    return this.speech.stream(body, opts);
  }

  /** Uploads a fine-tune training file (compatible mode, multipart). */
  uploadFile(file: { filename: string; data: Buffer }, opts?: CallOptions): Promise<{ fileId: string; requestId: string }> {
    return this.fineTunes.uploadFile(file, opts);
  }

  /** Creates a fine-tune job; throws DashScopeAmbiguousError (never re-sent) when the outcome is unknown. */
  createFineTune(body: FineTuneCreateBody, opts?: CallOptions): Promise<{ job: UpstreamFineTuneJob; requestId: string }> {
    return this.fineTunes.createFineTune(body, opts);
  }

  getFineTune(jobId: string, opts?: CallOptions): Promise<{ job: UpstreamFineTuneJob; requestId: string }> {
    return this.fineTunes.getFineTune(jobId, opts);
  }

  listFineTunes(query: { page_no: number; page_size: number }, opts?: CallOptions): Promise<{ jobs: UpstreamFineTuneJob[]; total: number }> {
    return this.fineTunes.listFineTunes(query, opts);
  }

  /** Closes the connection pool (when it is the client's own), and with it any request still open. */
  async close(): Promise<void> {
    if (this.ownsAgent) this.agent.destroy();
  }
}

/**
 * The client for the configured DashScope (region host or DASHSCOPE_BASE_URL). Without a key (local mode
 * before the emulator is wired in) it is still built; each call then fails with `missing_api_key`.
 */
export function createDashScopeClient(config: Config, extra: Pick<DashScopeClientOptions, 'onEvent' | 'retry' | 'agent'> = {}): DashScopeClient {
  return new DashScopeClient({
    origin: config.dashscopeOrigin,
    apiKey: config.DASHSCOPE_API_KEY ?? '',
    workspace: config.DASHSCOPE_WORKSPACE,
    timeoutMs: config.DASHSCOPE_TIMEOUT_MS,
    maxRetries: config.DASHSCOPE_MAX_RETRIES,
    ...extra,
  });
}
