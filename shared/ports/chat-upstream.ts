// The chat upstream: compatible-mode chat (whole or relayed chunk by chunk) and embeddings, with the shapes
// the chat use cases read or repair. Calls fail with the typed errors of shared/dashscope/errors.ts.
import type { CallOptions } from './upstream-call.ts';

export interface ToolCallDelta {
  index: number;
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

export interface ChunkChoice {
  index: number;
  delta?: {
    role?: string | null;
    content?: string | null;
    reasoning_content?: string | null;
    tool_calls?: ToolCallDelta[] | null;
  } | null;
  finish_reason?: string | null;
  logprobs?: unknown;
}

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
}

export interface ChatChunk {
  id: string;
  object?: string;
  created: number;
  model: string;
  choices: ChunkChoice[];
  usage?: ChatUsage | null;
  system_fingerprint?: string | null;
}

export interface CompletionToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface CompletionMessage {
  role: 'assistant';
  content: string | null;
  reasoning_content?: string;
  tool_calls?: CompletionToolCall[];
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: { index: number; message: CompletionMessage; finish_reason: string | null; logprobs: unknown }[];
  usage?: ChatUsage | null;
  system_fingerprint?: string | null;
}

/** A chat body as sent upstream: the client's fields, passed through, with the model, messages and stream flag. */
export type UpstreamChatBody = Record<string, unknown> & { model: string; messages: readonly unknown[]; stream?: boolean | null };

/** One chunk of a relayed stream, as the upstream pushes it. */
export interface RelayedChunk {
  /** Carries what the relay acts on: a finish reason, usage, tool calls, an error, or no choices at all. */
  readonly needsInspection: boolean;
  /** Carries generated text (reasoning, answer or tool arguments), not just the opening role. */
  readonly hasText: boolean;
  /** The chunk itself (parsed on first use when it needed no inspection). */
  readonly chunk: ChatChunk;
  /** Its JSON text as DashScope sent it, and its whole `data:` event when it came as one: the SSE writer forwards them as they are. */
  readonly json: string;
  readonly frame?: string;
}

/** A stream being relayed: `onRead` gets the chunks each upstream read completed; a promise it returns holds the next read back. */
export interface RelayStream {
  pump(onRead: (chunks: readonly RelayedChunk[]) => void | Promise<void>): Promise<void>;
}

export interface EmbeddingsBody {
  model: string;
  input: string | readonly string[];
  dimensions?: number;
  [field: string]: unknown;
}

export interface EmbeddingsAnswer {
  data: readonly { index: number; embedding: readonly number[] }[];
  usage?: { prompt_tokens?: number | null; total_tokens?: number | null } | null;
}

export interface ChatUpstream {
  /** One whole answer (not streamed). */
  chat(body: UpstreamChatBody, opts?: CallOptions): Promise<{ completion: ChatCompletion; requestId: string }>;
  /** Resolves once the response head arrived (retries happen only before it); `stream.pump` relays the chunks. */
  chatRelay(body: UpstreamChatBody, opts?: CallOptions): Promise<{ requestId: string; stream: RelayStream }>;
  /** Embeddings of the texts, as floats. */
  embed(body: EmbeddingsBody, opts?: CallOptions): Promise<{ response: EmbeddingsAnswer; requestId: string }>;
}
