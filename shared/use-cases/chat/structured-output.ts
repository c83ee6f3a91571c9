// Structured output on DashScope's terms: JSON mode without the word "json" gets a short instruction, a
// json_schema the model does not enforce is served as JSON mode with the schema in the instructions and each
// answer checked, and what the layer changed is reported (ChatAdjustments) so the client can be told.
import type { ChatModel } from '../../catalog/catalog.ts';
import type { ChatChunk, ChatCompletion } from '../../ports/chat-upstream.ts';
import type { ChatMessage, ChatRequest } from './chat-request.ts';
import { contentText } from './chat-request.ts';
import { compileSchemaCheck, type SchemaCheck, type SchemaMismatch } from './json-schema-check.ts';

/** Why thinking was turned off: DashScope refuses it with JSON mode and with a forced tool_choice. */
export type ThinkingOffReason = 'json_mode' | 'forced_tool';

/** What the request asked that DashScope refuses with thinking: turn thinking off (default) or refuse the request. */
export type ThinkingConflict = 'disable' | 'refuse';

/** How the layer changed a request to have it served; the HTTP edge tells the client in response headers. */
export interface ChatAdjustments {
  /** An instruction to answer in JSON (and, with a schema, the schema) was added to the system prompt. */
  jsonInstruction: boolean;
  /** Thinking the client asked for, or the model's default, was turned off. */
  thinkingOff?: ThinkingOffReason;
  /** json_schema: passed on to DashScope (`upstream`) or served as JSON mode with each answer checked (`checked`). */
  schema?: 'upstream' | 'checked';
  /** Upstream calls made for a checked schema (2 after a retry); known once the answer is in. */
  attempts?: number;
}

export interface StructuredPlan {
  /** Added to the system prompt upstream (the client's messages and a saved conversation keep their own text). */
  instruction?: string;
  /** Sent upstream instead of the client's response_format. */
  responseFormat?: { type: 'json_object' };
  /** json_schema served by JSON mode: every answer is checked, a mismatch retried once. */
  check?: SchemaCheck;
  schemaUpstream?: boolean;
  thinkingOff?: ThinkingOffReason;
}

/** Contains "JSON": what DashScope needs to see before it serves json_object. */
export const JSON_INSTRUCTION = 'Answer in JSON.';

export const schemaInstruction = (check: SchemaCheck) =>
  `Answer with JSON only: one value that matches this JSON schema (named ${JSON.stringify(check.name)}), with no text around it.\nJSON schema:\n${check.text}`;

const mentionsJson = (messages: readonly ChatMessage[]) => messages.some((m) => /json/i.test(contentText(m.content)));

/** The structured-output part of a request's plan; undefined when the request asks for none. */
export function planStructured(model: ChatModel, req: ChatRequest): StructuredPlan | undefined {
  const format = req.response_format;
  if (format?.type === 'json_object') return mentionsJson(req.messages) ? undefined : { instruction: JSON_INSTRUCTION };
  if (format?.type !== 'json_schema') return undefined;
  if (model.jsonSchema) return { schemaUpstream: true };
  const schema = (format.json_schema as { schema?: unknown }).schema;
  if (schema === undefined) return { responseFormat: { type: 'json_object' }, instruction: JSON_INSTRUCTION };
  const check = compileSchemaCheck(format.json_schema.name, schema);
  return { responseFormat: { type: 'json_object' }, instruction: schemaInstruction(check), check };
}

export function adjustmentsOf(plan: StructuredPlan | undefined): ChatAdjustments | undefined {
  if (!plan) return undefined;
  const a: ChatAdjustments = { jsonInstruction: plan.instruction !== undefined };
  if (plan.thinkingOff) a.thinkingOff = plan.thinkingOff;
  if (plan.check) a.schema = 'checked';
  else if (plan.schemaUpstream) a.schema = 'upstream';
  return a;
}

/** The instruction joins the first system message, or becomes one: DashScope wants the system prompt first. */
export function withInstruction(messages: readonly ChatMessage[], instruction: string): ChatMessage[] {
  const [first, ...rest] = messages;
  if (first && (first.role === 'system' || first.role === 'developer')) {
    const content = typeof first.content === 'string' ? `${first.content}\n\n${instruction}` : [...first.content, { type: 'text', text: instruction }];
    return [{ ...first, content }, ...rest];
  }
  return [{ role: 'system', content: instruction }, ...messages];
}

/** Rewrites an upstream body as the plan says (response_format, the instruction). */
export function applyStructured(body: Record<string, unknown> & { messages: unknown[] }, plan: StructuredPlan): void {
  if (plan.responseFormat) body.response_format = plan.responseFormat;
  if (plan.instruction) body.messages = withInstruction(body.messages as ChatMessage[], plan.instruction);
}

/**
 * The first choice whose answer does not match the schema, or undefined when all do. A choice that calls tools
 * is not an answer yet (the schema applies to the answer after the tool results), so it is not checked.
 */
export function checkCompletion(completion: ChatCompletion, check: SchemaCheck): (SchemaMismatch & { choice: number }) | undefined {
  if (completion.choices.length === 0) return { choice: 0, path: '$', message: 'the answer has no choices' };
  for (const c of completion.choices) {
    if (c.message.tool_calls?.length) continue;
    const content = c.message.content;
    if (content == null || content === '') return { choice: c.index, path: '$', message: 'the answer is empty' };
    const problem = check.check(content);
    if (problem) return { choice: c.index, ...problem, ...(c.finish_reason === 'length' ? { message: `${problem.message} (the answer was cut off by max_tokens)` } : {}) };
  }
  return undefined;
}

/** Characters of content per replayed chunk: a checked answer is sent as a stream of pieces like DashScope's. */
const REPLAY_PIECE = 64;

/** A whole (checked) completion as the chunks of a stream: role, content pieces, finish; the usage chunk when asked. */
export function replayChunks(completion: ChatCompletion, includeUsage: boolean): ChatChunk[] {
  const base = { id: completion.id, object: 'chat.completion.chunk', created: completion.created, model: completion.model };
  const chunks: ChatChunk[] = [];
  for (const c of completion.choices) {
    chunks.push({ ...base, choices: [{ index: c.index, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    const text = c.message.content ?? '';
    for (let i = 0; i < text.length; i += REPLAY_PIECE) chunks.push({ ...base, choices: [{ index: c.index, delta: { content: text.slice(i, i + REPLAY_PIECE) }, finish_reason: null }] });
    // a tool call goes out whole, in one delta, as OpenAI's first delta of a call carries it
    const calls = c.message.tool_calls ?? [];
    if (calls.length) chunks.push({ ...base, choices: [{ index: c.index, delta: { tool_calls: calls.map((t, i) => ({ index: i, id: t.id, type: 'function', function: { name: t.function.name, arguments: t.function.arguments } })) }, finish_reason: null }] });
    chunks.push({ ...base, choices: [{ index: c.index, delta: {}, finish_reason: c.finish_reason ?? 'stop' }] });
  }
  if (includeUsage && completion.usage) chunks.push({ ...base, choices: [], usage: completion.usage });
  return chunks;
}
