// The compatible-mode shapes the client sends and hands back (OpenAI's chat and embeddings wire format with
// DashScope's additions), as this project reads them: our own types, so nothing at runtime needs the openai SDK.
import type { z } from 'zod';
import type { embeddingResponseSchema } from './schemas.ts';

/** A compatible-mode `chat.completion` (a non-streamed answer), as the chat upstream port describes it. */
export type { ChatCompletion } from '../ports/chat-upstream.ts';

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
 * An OpenAI chat body plus DashScope's extras, passed through untouched: callers relay what their own clients
 * sent, so any other field goes too. `stream` is set by the method called (chat or chatRelay).
 */
export type DashScopeChatBody = DashScopeChatExtras & {
  model: string;
  messages: readonly unknown[];
  stream?: boolean | null;
  [field: string]: unknown;
};

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

export interface ToolCallDelta {
  index: number;
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

/** A compatible-mode `chat.completion.chunk` (the usage chunk has `choices: []`). */
export interface ChatCompletionChunk {
  id: string;
  object?: string;
  created: number;
  model: string;
  choices: {
    index: number;
    delta: { role?: string | null; content?: string | null; reasoning_content?: string | null; tool_calls?: ToolCallDelta[] | null };
    finish_reason: string | null;
    logprobs?: unknown;
  }[];
  usage?: CompletionUsage | null;
  system_fingerprint?: string | null;
}

/** An embeddings request; any field besides these is passed through. Always sent with `encoding_format: 'float'`. */
export interface EmbeddingBody {
  model: string;
  input: string | readonly string[];
  dimensions?: number;
  [field: string]: unknown;
}

/** The embeddings list as checked by `embeddingResponseSchema`. */
export type EmbeddingResponse = z.infer<typeof embeddingResponseSchema>;
