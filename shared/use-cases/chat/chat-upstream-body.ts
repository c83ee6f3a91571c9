// The body sent to DashScope's compatible mode: the client's fields minus ours, OpenAI-isms DashScope does
// not know translated (developer role, max_completion_tokens, reasoning_effort), thinking set by the plan.
import type { ChatPlan } from './chat-plan.ts';
import type { ChatMessage, ChatRequest } from './chat-request.ts';
import { applyStructured } from './structured-output.ts';

/** Fields that are ours or that DashScope would reject or misread; never forwarded as they are. */
const OWN_FIELDS = new Set([
  'conversation_id',
  'reasoning_effort',
  'enable_thinking',
  'thinking_budget',
  'max_completion_tokens',
  'stream',
  'stream_options',
  'user',
  'messages',
]);

export type UpstreamChatBody = Record<string, unknown> & { model: string; messages: unknown[]; stream: boolean };

/** DashScope knows no `developer` role; OpenAI treats it as the system prompt. */
export function toUpstreamMessages(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.map((m) => (m.role === 'developer' ? { ...m, role: 'system' } : m));
}

export function buildUpstreamBody(req: ChatRequest, plan: ChatPlan, messages: readonly ChatMessage[], stream: boolean): UpstreamChatBody {
  // one pass and plain assignments: this runs on every request before the upstream call goes out
  const body: Record<string, unknown> = { model: req.model };
  for (const k in req) {
    const v = (req as Record<string, unknown>)[k];
    if (v != null && !OWN_FIELDS.has(k)) body[k] = v;
  }
  const maxTokens = req.max_tokens ?? req.max_completion_tokens;
  if (maxTokens != null) body.max_tokens = maxTokens;
  Object.assign(body, plan.upstream);
  body.model = req.model;
  body.messages = toUpstreamMessages(messages);
  body.stream = stream;
  // usage always requested on streams, so that every call is accounted
  if (stream) body.stream_options = { include_usage: true };
  // structured output as DashScope serves it (response_format, an instruction): structured-output.ts
  if (plan.structured) applyStructured(body as UpstreamChatBody, plan.structured);
  return body as UpstreamChatBody;
}
