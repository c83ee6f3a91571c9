// The body of POST /v1/chat/completions: OpenAI's shape, checked field by field so a bad request is refused
// naming the field before it reaches DashScope. Unknown fields (`enable_search`, …) pass through untouched.
import { z } from 'zod';
import { MODEL_ID_MAX_CHARS } from '../../catalog/catalog.ts';

const part = z.looseObject({ type: z.string().min(1) });
const text = z.union([z.string(), z.array(part)], { error: 'must be a string or an array of content parts ({type, ...})' });

const toolCall = z.looseObject({
  id: z.string(),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
});

export const chatMessageSchema = z.discriminatedUnion('role', [
  z.looseObject({ role: z.enum(['system', 'developer']), content: text, name: z.string().optional() }),
  z.looseObject({ role: z.literal('user'), content: text, name: z.string().optional() }),
  z.looseObject({
    role: z.literal('assistant'),
    content: text.nullish(),
    name: z.string().optional(),
    tool_calls: z.array(toolCall).nullish(),
  }),
  z.looseObject({ role: z.literal('tool'), content: text, tool_call_id: z.string().min(1) }),
]);
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

const tool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

const toolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.looseObject({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
]);

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.looseObject({ type: z.literal('json_schema'), json_schema: z.looseObject({ name: z.string().min(1) }) }),
]);

/** A stop sequence longer than this cannot be meant; OpenAI's `user` is an end-user id, not a text. */
const STOP_MAX_CHARS = 1_000;
const USER_MAX_CHARS = 256;

/** Conversation ids travel in URLs, headers and table keys: keep them plain. */
export const conversationIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 letters, digits, . _ : or -');

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1).max(MODEL_ID_MAX_CHARS, `must be at most ${MODEL_ID_MAX_CHARS} characters`),
  messages: z.array(chatMessageSchema).min(1, 'must hold at least one message'),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  // OpenAI's ranges: what DashScope cannot take as it is is mapped or refused in openai-parameters.ts
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  seed: z.number().int().nullish(),
  stop: z
    .union([z.string().max(STOP_MAX_CHARS), z.array(z.string().max(STOP_MAX_CHARS))], { error: `must be a string or an array of strings of at most ${STOP_MAX_CHARS} characters` })
    .refine((v) => typeof v === 'string' || v.length <= 4, 'must hold at most 4 stop sequences (the limit of OpenAI and DashScope)')
    .nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  response_format: responseFormat.nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  user: z.string().max(USER_MAX_CHARS).nullish(),
  metadata: z
    .record(z.string().max(64, 'keys must be at most 64 characters'), z.string().max(512, 'values must be strings of at most 512 characters'))
    .refine((m) => Object.keys(m).length <= 16, 'must hold at most 16 pairs')
    .nullish(),
  store: z.boolean().nullish(),
  reasoning_effort: z.enum(REASONING_EFFORTS).nullish(),
  enable_thinking: z.boolean().nullish(),
  thinking_budget: z.number().int().positive().nullish(),
  enable_search: z.boolean().nullish(),
  conversation_id: conversationIdSchema.nullish(),
});
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/**
 * The common request, checked by hand: `undefined` unless chatRequestSchema would accept `body` as it is, in
 * which case `body` itself is the request (the schema transforms nothing). The schema is the rule; this is a
 * shortcut for the shapes nearly every client sends, because in a process that sleeps between requests
 * (FC, or the bench's one-at-a-time scenarios) zod's safeParse of a chat request measured about 100 µs, most
 * of a request's own cost before its upstream call. Anything unusual (another field, content parts, tools,
 * tool messages, a value out of range) goes to the schema, which also words the errors. A test holds the two
 * to the same answers.
 */
export function commonChatRequest(body: unknown): ChatRequest | undefined {
  if (!isPlainObject(body)) return undefined;
  let hasModel = false;
  let hasMessages = false;
  for (const key in body) {
    const v = body[key];
    switch (key) {
      case 'model':
        if (typeof v !== 'string' || v.length === 0 || v.length > MODEL_ID_MAX_CHARS) return undefined;
        hasModel = true;
        break;
      case 'messages':
        if (!areCommonMessages(v)) return undefined;
        hasMessages = true;
        break;
      case 'stream':
      case 'enable_thinking':
        if (v !== null && typeof v !== 'boolean') return undefined;
        break;
      case 'stream_options':
        if (v !== null && !(isPlainObject(v) && onlyKey(v, 'include_usage') && (v.include_usage === undefined || v.include_usage === null || typeof v.include_usage === 'boolean'))) return undefined;
        break;
      case 'temperature':
        if (v !== null && !(typeof v === 'number' && v >= 0 && v <= 2)) return undefined;
        break;
      case 'top_p':
        if (v !== null && !(typeof v === 'number' && v > 0 && v <= 1)) return undefined;
        break;
      case 'max_tokens':
        if (v !== null && !(Number.isSafeInteger(v) && (v as number) > 0)) return undefined;
        break;
      default:
        return undefined;
    }
  }
  return hasModel && hasMessages ? (body as ChatRequest) : undefined;
}

const COMMON_ROLES = new Set(['system', 'developer', 'user', 'assistant']);

/** One or more `{role, content: string}` messages (a `name` allowed) of the roles that need nothing else. */
function areCommonMessages(v: unknown): boolean {
  if (!Array.isArray(v) || v.length === 0) return false;
  for (const m of v) {
    if (!isPlainObject(m) || typeof m.role !== 'string' || !COMMON_ROLES.has(m.role) || typeof m.content !== 'string') return false;
    for (const key in m) if (key !== 'role' && key !== 'content' && !(key === 'name' && typeof m.name === 'string')) return false;
  }
  return true;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function onlyKey(o: Record<string, unknown>, name: string): boolean {
  for (const key in o) if (key !== name) return false;
  return true;
}

/** JSON mode in either of OpenAI's forms. */
export function wantsJson(req: ChatRequest): boolean {
  const t = req.response_format?.type;
  return t === 'json_object' || t === 'json_schema';
}

/** Text of a message's content (text parts joined); other parts (images, audio) contribute nothing. */
export function contentText(content: string | readonly unknown[] | null | undefined): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content
    .map((p) => (typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : ''))
    .join('');
}
