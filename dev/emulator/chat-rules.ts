// Compatible-mode chat requests: the zod schema of the body and DashScope's rules on it (thinking per
// model, JSON mode, tools, parameter ranges), turned into a plan of what to answer or the exact 400.
import { z } from 'zod';
import { findModel, maxChoices, type ChatModel } from '../../shared/catalog/catalog.ts';
import { ApiError, invalidParameter, modelNotFoundMessage } from './errors.ts';
import { schemaFromText } from './json-gen.ts';
import { countTokens } from './text-gen.ts';

const part = z.looseObject({ type: z.string(), text: z.string().optional() });
const message = z.looseObject({
  role: z.enum(['system', 'user', 'assistant', 'tool', 'developer', 'function']),
  content: z.union([z.string(), z.array(part), z.null()]).optional(),
  tool_calls: z.array(z.looseObject({ id: z.string().optional(), function: z.looseObject({ name: z.string(), arguments: z.string().optional() }) })).optional(),
  tool_call_id: z.string().optional(),
});
const tool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({ name: z.string().min(1), description: z.string().optional(), parameters: z.unknown().optional() }),
});
export const chatBodySchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  enable_thinking: z.boolean().nullish(),
  thinking_budget: z.number().nullish(),
  response_format: z.looseObject({ type: z.enum(['text', 'json_object', 'json_schema']), json_schema: z.looseObject({ schema: z.unknown().optional() }).optional() }).nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: z.union([z.enum(['auto', 'none', 'required']), z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) })]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  n: z.number().int().nullish(),
  max_tokens: z.number().int().nullish(),
  max_completion_tokens: z.number().int().nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  presence_penalty: z.number().nullish(),
  seed: z.number().int().nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
});
type ChatBody = z.infer<typeof chatBodySchema>;

export interface ChatPlan {
  model: ChatModel;
  stream: boolean;
  includeUsage: boolean;
  thinking: boolean;
  thinkingBudget?: number;
  /** JSON mode, with the schema to follow when one is known. */
  json?: { schema?: Record<string, unknown> };
  /** The tools to call (instead of answering), with their parameter schemas: several only with parallel_tool_calls. */
  tools?: { name: string; parameters: unknown }[];
  /** Log probabilities of the answer's tokens, with this many alternatives each. */
  logprobs?: { top: number };
  /** What the answer is about: the last user message, or the last tool result. */
  prompt: string;
  promptTokens: number;
  maxTokens?: number;
  stop: string[];
  n: number;
}

const textOf = (content: ChatBody['messages'][number]['content']): string =>
  typeof content === 'string' ? content : (content ?? []).map((p) => p.text ?? '').join(' ');

/** `Field required: messages`-style text, as DashScope's validator words it. */
export function describeZodIssue(error: z.ZodError): { message: string; param: string } {
  const issue = error.issues[0];
  const param = issue?.path.join('.') ?? '';
  const missing = issue?.code === 'invalid_type' && /received undefined/.test(issue.message);
  return { message: `${missing ? 'Field required' : (issue?.message ?? 'Invalid request')}: ${param || 'body'}`, param };
}

function range(ok: boolean, text: string, param: string): void {
  if (!ok) throw invalidParameter(text, param);
}

export function planChat(raw: unknown): ChatPlan {
  const parsed = chatBodySchema.safeParse(raw);
  if (!parsed.success) {
    const { message, param } = describeZodIssue(parsed.error);
    throw invalidParameter(message, param);
  }
  const b = parsed.data;
  const model = findModel(b.model);
  if (!model) throw new ApiError('modelNotFound', modelNotFoundMessage(b.model));
  if (model.kind !== 'chat') {
    throw new ApiError('modelNotFound', `Unsupported model \`${b.model}\` for OpenAI compatibility mode.`, { compatCode: 'model_not_supported' });
  }
  const n = b.n ?? 1;
  const t = b.temperature;
  range(t == null || (t >= 0 && t < 2), 'Range of temperature should be [0.0, 2.0)', 'temperature');
  range(b.top_p == null || (b.top_p > 0 && b.top_p <= 1), 'Range of top_p should be (0.0, 1.0]', 'top_p');
  range(b.presence_penalty == null || Math.abs(b.presence_penalty) <= 2, 'Range of presence_penalty should be [-2.0, 2.0]', 'presence_penalty');
  range(n >= 1 && n <= 4, 'Range of n should be [1, 4]', 'n');
  range(b.seed == null || (b.seed >= 0 && b.seed <= 2 ** 31 - 1), 'Range of seed should be [0, 2147483647]', 'seed');
  range(b.top_logprobs == null || (b.top_logprobs >= 0 && b.top_logprobs <= 5), 'Range of top_logprobs should be [0, 5]', 'top_logprobs');
  const maxTokens = b.max_tokens ?? b.max_completion_tokens ?? undefined;
  range(maxTokens == null || maxTokens >= 1, 'Range of max_tokens should be [1, 2147483647]', 'max_tokens');

  const stream = b.stream === true;
  const thinking = decideThinking(model, b);
  if (thinking && !stream && model.thinkingStreamOnly) {
    throw invalidParameter('parameter.enable_thinking must be set to false for non-streaming calls');
  }
  // several answers only on the models that serve them, never while thinking (wording UNVERIFIED)
  if (n > maxChoices(model, thinking)) {
    throw invalidParameter(`The model \`${model.id}\` does not support n greater than ${maxChoices(model, thinking)}${thinking ? ' in thinking mode' : ''}.`, 'n');
  }
  const allText = b.messages.map((m) => textOf(m.content)).join('\n');
  const plan: ChatPlan = {
    model, stream, thinking, n,
    includeUsage: stream && b.stream_options?.include_usage === true,
    prompt: '',
    promptTokens: 0,
    stop: b.stop == null ? [] : Array.isArray(b.stop) ? b.stop : [b.stop],
    ...(maxTokens != null ? { maxTokens } : {}),
    ...(thinking && b.thinking_budget != null ? { thinkingBudget: b.thinking_budget } : {}),
    ...(b.logprobs === true ? { logprobs: { top: b.top_logprobs ?? 0 } } : {}),
  };
  const format = b.response_format?.type;
  if (format === 'json_object' || format === 'json_schema') {
    if (thinking) throw invalidParameter('Json mode response is not supported when enable_thinking is true');
    if (format === 'json_object' && !/json/i.test(allText)) {
      throw invalidParameter("'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.");
    }
    const given = b.response_format?.json_schema?.schema;
    const schema = given && typeof given === 'object' ? (given as Record<string, unknown>) : schemaFromText(allText);
    plan.json = schema ? { schema } : {};
  }
  planTools(plan, b);
  const last = b.messages[b.messages.length - 1]!;
  const lastUser = [...b.messages].reverse().find((m) => m.role === 'user');
  plan.prompt = last.role === 'tool' ? `${textOf(last.content)} ${textOf(lastUser?.content ?? '')}` : textOf(lastUser?.content ?? last.content);
  plan.promptTokens = countTokens(allText) + 4 * b.messages.length + (b.tools ? countTokens(JSON.stringify(b.tools)) : 0);
  return plan;
}

function decideThinking(model: ChatModel, b: ChatBody): boolean {
  const asked = b.enable_thinking;
  if (model.thinking === 'always' && asked === false) {
    throw invalidParameter('The value of the enable_thinking parameter is restricted to True.', 'enable_thinking');
  }
  const on = model.thinking === 'always' || (model.thinking === 'default-on' && asked !== false) || (model.thinking === 'optional' && asked === true);
  if (on && b.thinking_budget != null) {
    const max = model.maxThinkingBudget ?? 38_912;
    if (!Number.isInteger(b.thinking_budget) || b.thinking_budget <= 0 || b.thinking_budget > max) {
      throw invalidParameter(`The thinking_budget parameter must be a positive integer and not greater than ${max}`, 'thinking_budget');
    }
  }
  return on;
}

function planTools(plan: ChatPlan, b: ChatBody): void {
  const tools = b.tools ?? [];
  if (!tools.length) return;
  if (!plan.model.tools) throw invalidParameter(`The model \`${plan.model.id}\` does not support tools.`, 'tools');
  if (plan.n > 1) throw invalidParameter('The n parameter must be 1 when tools are given.', 'n');
  const choice = b.tool_choice ?? 'auto';
  const forced = typeof choice === 'object' ? choice.function.name : undefined;
  if (plan.thinking && (forced || choice === 'required')) {
    throw invalidParameter('The tool_choice parameter does not support being set to required or object in thinking mode', 'tool_choice');
  }
  const last = b.messages[b.messages.length - 1]!;
  if (choice === 'none' || last.role === 'tool') return;
  if (forced && !tools.some((t) => t.function.name === forced)) {
    throw invalidParameter(`tool_choice names an unknown function '${forced}'`, 'tool_choice');
  }
  const prompt = textOf(last.content).toLowerCase();
  const score = (t: (typeof tools)[number]) =>
    `${t.function.name} ${t.function.description ?? ''}`.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 2 && prompt.includes(w)).length;
  const best = forced ? tools.find((t) => t.function.name === forced)! : tools.reduce((top, t) => (score(t) > score(top) ? t : top), tools[0]!);
  // parallel tool calls allowed: every tool the request's words point at is called in this one turn
  const picked = !forced && b.parallel_tool_calls === true ? tools.filter((t) => t === best || score(t) > 0) : [best];
  plan.tools = picked.map((t) => ({ name: t.function.name, parameters: t.function.parameters ?? { type: 'object', properties: {} } }));
}
