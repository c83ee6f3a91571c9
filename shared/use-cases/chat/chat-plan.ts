// How a chat request will be served, decided before any upstream call: whether the model thinks, whether a
// non-streamed answer is assembled from a stream, how structured output is served, and refusals DashScope
// would answer with an opaque 400.
import type { ChatModel } from '../../catalog/catalog.ts';
import { ChatRequestError } from './chat-errors.ts';
import { wantsJson, type ChatRequest, type ReasoningEffort } from './chat-request.ts';
import { planStructured, type StructuredPlan, type ThinkingConflict, type ThinkingOffReason } from './structured-output.ts';

export interface ChatPlan {
  /** The model will think for this request. */
  thinking: boolean;
  /**
   * Stream upstream and answer one ordinary completion (client asked without streaming): DashScope refuses
   * thinking without streaming on some models.
   */
  assemble: boolean;
  /** Thinking fields for the upstream body (absent where the model has no thinking switch). */
  upstream: { enable_thinking?: boolean; thinking_budget?: number };
  /** Present when the request asks for JSON or the layer turned thinking off for it: see structured-output.ts. */
  structured?: StructuredPlan;
}

export interface PlanOptions {
  /** Thinking the client asked for together with JSON mode or a forced tool: turned off (default) or refused. */
  thinkingConflict?: ThinkingConflict;
}

/** reasoning_effort → a thinking budget (tokens); undefined = the model's own maximum. */
const EFFORT_BUDGET: Record<Exclude<ReasoningEffort, 'none' | 'minimal'>, number | undefined> = {
  low: 4_096,
  medium: 16_384,
  high: undefined,
  xhigh: undefined,
  max: undefined,
};

function requestedThinking(req: ChatRequest): boolean | undefined {
  if (req.enable_thinking != null) return req.enable_thinking;
  if (req.reasoning_effort != null) return req.reasoning_effort !== 'none' && req.reasoning_effort !== 'minimal';
  return undefined;
}

function budgetFor(model: ChatModel, req: ChatRequest): number | undefined {
  const max = model.maxThinkingBudget;
  if (req.thinking_budget != null) {
    if (max !== undefined && req.thinking_budget > max) {
      throw new ChatRequestError('invalid_thinking_budget', `thinking_budget must be a positive integer not greater than ${max} for model '${model.id}'`, 'thinking_budget');
    }
    return req.thinking_budget;
  }
  const effort = req.reasoning_effort;
  if (effort == null || effort === 'none' || effort === 'minimal') return undefined;
  const budget = EFFORT_BUDGET[effort];
  return budget === undefined || max === undefined ? budget : Math.min(budget, max);
}

export function planChat(model: ChatModel, req: ChatRequest, opts: PlanOptions = {}): ChatPlan {
  const asked = requestedThinking(req);
  const json = wantsJson(req);
  const param = req.enable_thinking != null ? 'enable_thinking' : 'reasoning_effort';

  if (json && !model.jsonMode) {
    throw new ChatRequestError('json_mode_not_supported', `model '${model.id}' does not support response_format '${req.response_format?.type}'`, 'response_format');
  }
  if (req.tools?.length && !model.tools) {
    throw new ChatRequestError('tools_not_supported', `model '${model.id}' does not support tools`, 'tools');
  }
  // json_object without the word "json" gets an instruction, json_schema is checked here (a bad schema is refused)
  const structured = planStructured(model, req);

  let thinking: boolean;
  switch (model.thinking) {
    case 'none':
      if (asked) throw new ChatRequestError('thinking_not_supported', `model '${model.id}' cannot think; drop ${param} or use a thinking model`, param);
      return { thinking: false, assemble: false, upstream: {}, ...(structured ? { structured } : {}) };
    case 'always':
      if (asked === false) throw new ChatRequestError('thinking_required', `model '${model.id}' always thinks; ${param} cannot turn thinking off`, param);
      thinking = true;
      break;
    case 'default-on':
      thinking = asked ?? true;
      break;
    case 'optional':
      thinking = asked ?? false;
      break;
  }

  // DashScope refuses thinking with JSON mode and with a forced tool: the request is served without thinking
  const forced = (req.tool_choice === 'required' || typeof req.tool_choice === 'object') && Boolean(req.tools?.length);
  const conflict: ThinkingOffReason | undefined = json ? 'json_mode' : forced ? 'forced_tool' : undefined;
  let thinkingOff: ThinkingOffReason | undefined;
  if (thinking && conflict) {
    // a model that thinks only by default is switched off whatever the setting: the client did not ask for thinking
    if (model.thinking === 'always' || (asked && opts.thinkingConflict === 'refuse')) throw conflictError(model, conflict, param);
    thinking = false;
    thinkingOff = conflict;
  }
  const plan: StructuredPlan | undefined = thinkingOff ? { ...structured, thinkingOff } : structured;

  const budget = thinking ? budgetFor(model, req) : undefined;
  return {
    thinking,
    assemble: thinking && model.thinkingStreamOnly && req.stream !== true,
    upstream: { enable_thinking: thinking, ...(budget !== undefined ? { thinking_budget: budget } : {}) },
    ...(plan ? { structured: plan } : {}),
  };
}

function conflictError(model: ChatModel, conflict: ThinkingOffReason, param: string): ChatRequestError {
  const always = model.thinking === 'always';
  const why = always ? ` (model '${model.id}' always thinks)` : '';
  const off = always ? 'use a model whose thinking can be switched off' : 'turn thinking off';
  if (conflict === 'json_mode') {
    return new ChatRequestError('thinking_with_json_mode', `thinking cannot be combined with JSON mode${why}: ${off} or drop response_format`, always ? 'response_format' : param);
  }
  return new ChatRequestError('thinking_with_forced_tool', `a forced tool_choice cannot be combined with thinking${why}: use tool_choice "auto" or ${off}`, 'tool_choice');
}
