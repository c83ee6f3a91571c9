// The parts of a chat completion chunk the chat use cases read or repair. Structural, so the DashScope
// client's chunk type fits; every other field travels to the client untouched.

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
