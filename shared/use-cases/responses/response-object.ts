// The Response object the Responses API answers with (and streams in its events): the request's settings
// echoed, the output items made from the assistant's message, the usage in the Responses API's words.
import type { ChatUsage, CompletionMessage } from '../../ports/chat-upstream.ts';
import { itemIdsOf } from './response-ids.ts';
import type { ResponsesRequest } from './responses-request.ts';

export interface ReasoningItem {
  id: string;
  type: 'reasoning';
  summary: { type: 'summary_text'; text: string }[];
}
export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: unknown[];
  logprobs: unknown[];
}
export interface MessageItem {
  id: string;
  type: 'message';
  role: 'assistant';
  status: 'in_progress' | 'completed' | 'incomplete';
  content: OutputText[];
}
export interface FunctionCallItem {
  id: string;
  type: 'function_call';
  call_id: string;
  name: string;
  arguments: string;
  status: 'in_progress' | 'completed' | 'incomplete';
}
export type OutputItem = ReasoningItem | MessageItem | FunctionCallItem;

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  model: string;
  output: OutputItem[];
  usage: ResponseUsage | null;
  [setting: string]: unknown;
}

export function toResponseUsage(u: ChatUsage): ResponseUsage {
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: u.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: u.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: u.total_tokens,
  };
}

/** A chat finish reason as the Responses API's status. */
export function statusOf(finishReason: string | null | undefined): Pick<ResponseObject, 'status' | 'incomplete_details'> {
  if (finishReason === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finishReason === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** The response before any output: what response.created carries, and the frame of the final one. */
export function responseShell(id: string, createdAt: number, req: ResponsesRequest, model: string): ResponseObject {
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    metadata: req.metadata ?? {},
    model,
    output: [],
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: req.previous_response_id ?? null,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: req.reasoning?.summary ?? null },
    service_tier: 'default',
    store: req.store ?? true,
    temperature: req.temperature ?? null,
    text: { format: req.text?.format ?? { type: 'text' }, verbosity: 'medium' },
    tool_choice: req.tool_choice ?? 'auto',
    tools: (req.tools ?? []).map((t) => ({ type: 'function', name: t.name, description: t.description ?? null, parameters: t.parameters ?? null, strict: t.strict ?? true })),
    top_p: req.top_p ?? null,
    truncation: 'disabled',
    usage: null,
    user: req.user ?? null,
  };
}

/** The output items of an assistant message: its reasoning, its text, its function calls, in that order. */
export function outputItems(responseId: string, m: CompletionMessage, status: MessageItem['status']): OutputItem[] {
  const ids = itemIdsOf(responseId);
  const items: OutputItem[] = [];
  if (m.reasoning_content) items.push({ id: ids.reasoning, type: 'reasoning', summary: [{ type: 'summary_text', text: m.reasoning_content }] });
  const calls = m.tool_calls ?? [];
  if (m.content || calls.length === 0) {
    items.push({ id: ids.message, type: 'message', role: 'assistant', status, content: [{ type: 'output_text', text: m.content ?? '', annotations: [], logprobs: [] }] });
  }
  calls.forEach((c, k) => items.push({ id: ids.functionCall(k), type: 'function_call', call_id: c.id, name: c.function.name, arguments: c.function.arguments, status: 'completed' }));
  return items;
}
