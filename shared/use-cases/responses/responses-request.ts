// The body of POST /v1/responses (OpenAI's Responses API), checked field by field. Only what can be served
// on top of chat completions is accepted; a feature that cannot be (built-in tools, background runs, include
// values, stored prompts) is refused naming the field rather than silently ignored.
import { z } from 'zod';
import { MODEL_ID_MAX_CHARS } from '../../catalog/catalog.ts';
import { REASONING_EFFORTS } from '../chat/chat-request.ts';
import { clip } from '../../text/clip.ts';
import { describeIssues } from '../../validation/validate.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';

/** Ids we hand out and take back: `resp_…`, `msg_…`, `fc_…`, `rs_…` (letters, digits, _ and -). */
const idSchema = z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be an id of letters, digits, _ or -');

const inputText = z.looseObject({ type: z.enum(['input_text', 'output_text']), text: z.string() });
const inputImage = z.looseObject({ type: z.literal('input_image'), image_url: z.string().min(1, 'an image is given by image_url (file_id is not supported)'), detail: z.enum(['low', 'high', 'auto']).nullish() });
const refusal = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });
const PARTS = 'input_text, input_image (by image_url), output_text or refusal parts (files and audio are not supported)';
const contentPart = z.discriminatedUnion('type', [inputText, inputImage, refusal], { error: `must be one of ${PARTS}` });
const content = z.union([z.string(), z.array(contentPart)], { error: `must be a string or a list of ${PARTS}` });

const message = z.looseObject({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content,
  id: z.string().nullish(),
  status: z.string().nullish(),
});

const functionCall = z.looseObject({
  type: z.literal('function_call'),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  id: z.string().nullish(),
  status: z.string().nullish(),
});

const functionCallOutput = z.looseObject({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1),
  output: content,
  id: z.string().nullish(),
  status: z.string().nullish(),
});

// Qwen takes no reasoning back: a reasoning item in the input is accepted and left out of what goes upstream
const reasoning = z.looseObject({ type: z.literal('reasoning'), id: z.string().nullish() });
const itemReference = z.looseObject({ type: z.literal('item_reference'), id: idSchema });

export const INPUT_ITEM_TYPES = ['message', 'function_call', 'function_call_output', 'reasoning', 'item_reference'] as const;

const typedItem = z.discriminatedUnion('type', [functionCall, functionCallOutput, reasoning, itemReference], {
  error: `must be a message or an item of type ${INPUT_ITEM_TYPES.join(', ')} (built-in tool calls are not supported)`,
});
const inputItem = z.union([message, typedItem]);

/** The schema an item is checked against for its error: a message unless it names another type. */
const itemSchemaOf = (item: unknown) => {
  const type = typeof item === 'object' && item !== null ? (item as { type?: unknown }).type : undefined;
  return type === undefined || type === 'message' ? message : typedItem;
};
export type InputItem = z.infer<typeof inputItem>;

const functionTool = z.looseObject({
  type: z.literal('function', { error: "only tools of type 'function' are supported (built-in tools such as web_search or file_search are not)" }),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

const toolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.looseObject({ type: z.literal('function'), name: z.string().min(1) }),
], { error: "must be 'auto', 'none', 'required' or {type: 'function', name}" });

const textFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    name: z.string().min(1),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().nullish(),
    strict: z.boolean().nullish(),
  }),
]);

const unsupported = (what: string) => z.any().refine((v) => v == null || v === false, { error: `is not supported: ${what}` }).optional();

export const responsesRequestSchema = z.strictObject({
  model: z.string().min(1).max(MODEL_ID_MAX_CHARS, `must be at most ${MODEL_ID_MAX_CHARS} characters`),
  input: z.union([z.string().min(1, 'must not be empty'), z.array(inputItem).min(1, 'must hold at least one item')], { error: 'must be a string or a list of items' }),
  instructions: z.string().nullish(),
  previous_response_id: idSchema.nullish(),
  store: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  tools: z.array(functionTool).max(128).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  temperature: z.number().min(0).lt(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  text: z.strictObject({ format: textFormat.nullish(), verbosity: z.literal('medium', { error: "only 'medium' is supported" }).nullish() }).nullish(),
  reasoning: z.strictObject({ effort: z.enum(REASONING_EFFORTS).nullish(), summary: z.enum(['auto', 'concise', 'detailed']).nullish() }).nullish(),
  metadata: z.record(z.string().max(64), z.string().max(512)).refine((m) => Object.keys(m).length <= 16, { error: 'must hold at most 16 keys' }).nullish(),
  user: z.string().max(256).nullish(),
  safety_identifier: z.string().max(256).nullish(),
  prompt_cache_key: z.string().max(256).nullish(),
  service_tier: z.enum(['auto', 'default'], { error: "only 'auto' and 'default' are supported" }).nullish(),
  truncation: z.literal('disabled', { error: "only 'disabled' is supported" }).nullish(),
  include: z.array(z.never({ error: 'no include value is supported (there is no encrypted reasoning, no logprobs and no built-in tool output)' })).nullish(),
  background: unsupported('background responses (answers are given while the request is open)'),
  conversation: unsupported('conversation objects; use previous_response_id'),
  prompt: unsupported('stored prompts'),
  max_tool_calls: unsupported('limits on built-in tool calls'),
  top_logprobs: unsupported('logprobs'),
  // DashScope's own switches, as on chat completions
  enable_thinking: z.boolean().nullish(),
  thinking_budget: z.number().int().positive().nullish(),
  enable_search: z.boolean().nullish(),
});
export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

/** The request, or an InvalidRequestError naming the field at fault (an unknown field by its own name, as OpenAI does). */
export function parseResponsesRequest(body: unknown): ResponsesRequest {
  const r = responsesRequestSchema.safeParse(body);
  if (r.success) return r.data;
  const unknown = r.error.issues.find((i) => i.code === 'unrecognized_keys' && i.path.length === 0);
  if (unknown && unknown.code === 'unrecognized_keys') {
    const key = clip(String(unknown.keys[0] ?? ''), 40);
    throw new InvalidRequestError('unknown_parameter', `Unknown parameter: '${key}' (not supported by this service)`, key);
  }
  // a bad item is named by its place and its own fault (input.3.content), not by the unions input is made of
  const input = typeof body === 'object' && body !== null ? (body as { input?: unknown }).input : undefined;
  if (input === undefined || input === null) throw new InvalidRequestError('invalid_request', 'input: is required (a string or a list of items)', 'input');
  if (Array.isArray(input)) {
    for (const [i, item] of input.entries()) {
      const one = itemSchemaOf(item).safeParse(item);
      if (!one.success) {
        const { message, param } = describeIssues(prefixed(one.error, 'input', i));
        throw new InvalidRequestError('invalid_request', message, param);
      }
    }
  }
  const { message, param } = describeIssues(r.error);
  throw new InvalidRequestError('invalid_request', message, param);
}

function prefixed(error: z.ZodError, ...at: PropertyKey[]): z.ZodError {
  return new z.ZodError(error.issues.map((i) => ({ ...i, path: [...at, ...i.path] })));
}
