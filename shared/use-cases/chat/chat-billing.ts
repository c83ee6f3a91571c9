// What a chat call asks of the guards before it goes upstream (tokens and an upper bound of its cost), and
// the bill once DashScope reported its usage. Prices and estimates come from the catalogue (pricing.ts).
import type { ChatModel } from '../../catalog/catalog.ts';
import { chatCost, chatOutputCeiling, estimateChatCost } from '../../catalog/pricing.ts';
import type { Principal } from '../../domain/tenant.ts';
import type { ChatUsage } from '../../ports/chat-upstream.ts';
import type { CallerSignal } from '../../streams/cancellation.ts';
import type { Bill, Demand } from '../guards/guard.ts';
import type { ChatPlan } from './chat-plan.ts';
import type { ChatMessage, ChatRequest } from './chat-request.ts';
import { estimateTokens } from './token-estimate.ts';

/**
 * A prompt's size: its JSON text (quotes and keys count) and the tools'. `likely` is the usual estimate (TPM);
 * `bound` counts a token per character, which no tokenizer exceeds on ordinary text, for what a budget reserves.
 */
export function promptSize(messages: readonly ChatMessage[], tools: unknown): { likely: number; bound: number } {
  const text = JSON.stringify(messages) + (tools ? JSON.stringify(tools) : '');
  return { likely: estimateTokens(text), bound: text.length };
}

/** The most output the call may be billed for: max_tokens (or the model's ceiling), plus the thinking budget when it thinks. */
export function maxOutputTokens(model: ChatModel, req: ChatRequest, plan: ChatPlan): number {
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  const budget = plan.upstream.thinking_budget;
  return chatOutputCeiling(model, { thinking: plan.thinking, ...(maxTokens != null ? { maxTokens } : {}), ...(budget !== undefined ? { thinkingBudget: budget } : {}) });
}

export function chatDemand(
  principal: Principal,
  model: ChatModel,
  req: ChatRequest,
  plan: ChatPlan,
  messages: readonly ChatMessage[],
  ref: string,
  holdMs: number,
  signal?: CallerSignal,
): { demand: Demand; promptTokens: number } {
  const prompt = promptSize(messages, req.tools);
  // an instruction the layer adds (a JSON schema can be long) is prompt too
  const added = plan.structured?.instruction;
  if (added) {
    prompt.likely += estimateTokens(added);
    prompt.bound += added.length;
  }
  const output = maxOutputTokens(model, req, plan);
  // TPM counts what the call is likely to use (its prompt and a modest answer), corrected once usage is known;
  // the budget reserves the most it could cost
  const likely = prompt.likely + Math.min(output, 1_024);
  return {
    demand: { principal, model, ref, upstreamRequests: 1, tokens: likely, costMicros: estimateChatCost(model, prompt.bound, output).micros, holdMs, ...(signal ? { signal } : {}) },
    promptTokens: prompt.likely,
  };
}

/** The bill of a call DashScope answered; a call cut off without usage is billed for its estimated prompt. */
export function chatBill(model: ChatModel, usage: ChatUsage | undefined, promptEstimate: number, dashscopeRequestId: string | undefined): Bill {
  const ref = dashscopeRequestId ? { upstreamRef: dashscopeRequestId } : {};
  if (!usage) {
    const c = chatCost(model, { prompt_tokens: promptEstimate, completion_tokens: 0 });
    return { kind: 'chat', costMicros: c.micros, units: { ...c.units, estimated: 1 }, tokens: promptEstimate, ...ref };
  }
  const c = chatCost(model, usage);
  return { kind: 'chat', costMicros: c.micros, units: c.units, tokens: usage.total_tokens, ...ref };
}
