// OpenAI's parameter ranges onto DashScope's: a value that maps faithfully is mapped (and the response says so
// in `x-adjusted-parameters`), one DashScope cannot serve is refused naming its limit, fields it does not take stay here.
import { maxChoices, type ChatModel } from '../../catalog/catalog.ts';
import { ChatRequestError } from './chat-errors.ts';
import type { ChatPlan } from './chat-plan.ts';
import type { ChatRequest } from './chat-request.ts';

/**
 * DashScope takes temperature in [0, 2), OpenAI in [0, 2]. Clamped, not scaled: every value DashScope takes keeps
 * its meaning, and OpenAI's top (the end of many sliders) becomes DashScope's highest, the most random it serves.
 */
export const DASHSCOPE_MAX_TEMPERATURE = 1.99;
/** OpenAI allows 20 alternatives per token, DashScope returns at most 5. */
export const DASHSCOPE_MAX_TOP_LOGPROBS = 5;
/** DashScope's seeds are [0, 2^31 - 1]; OpenAI takes any integer. */
const SEED_SPAN = 2 ** 31;

/** The header that lists each value sent upstream other than the client's, as `name=value`. */
export const ADJUSTED_HEADER = 'x-adjusted-parameters';

/** A parameter sent to DashScope with another value than the client's. */
export interface Adjustment {
  param: 'temperature' | 'seed';
  value: number;
}

/**
 * The mapped values: temperature above DashScope's range is its highest; a seed outside DashScope's range is
 * taken modulo 2^31 (the same seed still gives the same answer, which is what a seed is for).
 */
export function parameterAdjustments(req: Pick<ChatRequest, 'temperature' | 'seed'>): Adjustment[] {
  const out: Adjustment[] = [];
  if (req.temperature != null && req.temperature > DASHSCOPE_MAX_TEMPERATURE) out.push({ param: 'temperature', value: DASHSCOPE_MAX_TEMPERATURE });
  if (req.seed != null && (req.seed < 0 || req.seed >= SEED_SPAN)) out.push({ param: 'seed', value: ((req.seed % SEED_SPAN) + SEED_SPAN) % SEED_SPAN });
  return out;
}

/** `temperature=1.99, seed=5`, or undefined when nothing was adjusted. */
export function adjustedHeader(req: Pick<ChatRequest, 'temperature' | 'seed'>): string | undefined {
  const a = parameterAdjustments(req);
  return a.length ? a.map((x) => `${x.param}=${x.value}`).join(', ') : undefined;
}

/** Refuses what DashScope cannot serve as asked, naming its limit, before anything is admitted or sent. */
export function checkParameters(model: ChatModel, plan: ChatPlan, req: ChatRequest): void {
  if (req.top_logprobs != null) {
    if (req.logprobs !== true) throw new ChatRequestError('logprobs_required', 'top_logprobs needs logprobs: true', 'top_logprobs');
    if (req.top_logprobs > DASHSCOPE_MAX_TOP_LOGPROBS) {
      throw new ChatRequestError('top_logprobs_out_of_range', `top_logprobs must be at most ${DASHSCOPE_MAX_TOP_LOGPROBS}: DashScope returns at most ${DASHSCOPE_MAX_TOP_LOGPROBS} alternatives per token`, 'top_logprobs');
    }
  }
  const n = req.n ?? 1;
  if (n > 1) {
    const tools = Boolean(req.tools?.length);
    const max = tools ? 1 : maxChoices(model, plan.thinking);
    if (n > max) {
      const why = tools ? 'with tools' : plan.thinking ? 'while thinking' : `on model '${model.id}'`;
      throw new ChatRequestError('n_out_of_range', `n must be at most ${max} ${why}: DashScope serves ${max === 1 ? 'one answer' : `at most ${max} answers`} per request ${why}`, 'n');
    }
  }
  if (req.max_tokens != null && req.max_completion_tokens != null && req.max_tokens !== req.max_completion_tokens) {
    throw new ChatRequestError('conflicting_max_tokens', 'max_tokens and max_completion_tokens differ; send one', 'max_completion_tokens');
  }
}

/** Applies the mappings to the body going upstream (in place); fields DashScope does not take are left out before. */
export function mapUpstreamParameters(body: Record<string, unknown>, req: ChatRequest): void {
  for (const a of parameterAdjustments(req)) body[a.param] = a.value;
  // OpenAI calls tools in parallel unless told not to; DashScope only when told to
  if (req.tools?.length) body.parallel_tool_calls = req.parallel_tool_calls ?? true;
  else delete body.parallel_tool_calls;
}
