// What a chat request is answered with, decided up front from its plan: reasoning pieces, content pieces
// (text or JSON), or a tool call; the finish reason and the exact token usage.
import { randomBytes } from 'node:crypto';
import type { ChatPlan } from './chat-rules.ts';
import { jsonAnswer, valueFromSchema } from './json-gen.ts';
import { countTokens, defaultLength, generateText, hash32, splitText } from './text-gen.ts';

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface ChoiceAnswer {
  index: number;
  reasoning?: string[];
  /** Content deltas; joined they are the message content. */
  content: string[];
  /** Log probabilities, one per content delta, when the request asked for them. */
  logprobs?: TokenLogprob[];
  toolCalls?: ToolCall[];
  finishReason: 'stop' | 'length' | 'tool_calls';
  reasoningTokens: number;
  completionTokens: number;
}

export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

export interface ChatAnswer {
  choices: ChoiceAnswer[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number; reasoningTokens?: number };
}

/** Cuts pieces at the first stop sequence (the stop text itself is not sent). */
function applyStop(pieces: string[], stop: string[]): { pieces: string[]; stopped: boolean } {
  if (!stop.length) return { pieces, stopped: false };
  const text = pieces.join('');
  const at = Math.min(...stop.filter(Boolean).map((s) => (text.indexOf(s) < 0 ? Infinity : text.indexOf(s))));
  if (at === Infinity) return { pieces, stopped: false };
  const out: string[] = [];
  let len = 0;
  for (const p of pieces) {
    if (len + p.length > at) {
      if (at > len) out.push(p.slice(0, at - len));
      break;
    }
    out.push(p);
    len += p.length;
  }
  return { pieces: out, stopped: true };
}

function answerChoice(plan: ChatPlan, index: number, replyTokens: number | undefined): ChoiceAnswer {
  const variant = index === 0 ? '' : `#${index}`;
  let reasoning: string[] | undefined;
  if (plan.thinking) {
    const wanted = 16 + (hash32(plan.prompt, 11 + index) % 32);
    reasoning = generateText(plan.prompt, Math.min(wanted, plan.thinkingBudget ?? Infinity), `reasoning${variant}`).pieces;
  }
  const reasoningTokens = reasoning?.length ?? 0;
  if (plan.tools) {
    const toolCalls = plan.tools.map((t) => ({ id: `call_${randomBytes(12).toString('hex')}`, name: t.name, arguments: JSON.stringify(valueFromSchema(t.parameters, plan.prompt)) }));
    const completionTokens = reasoningTokens + toolCalls.reduce((sum, c) => sum + countTokens(c.arguments) + 4, 0);
    return { index, ...(reasoning ? { reasoning } : {}), content: [], toolCalls, finishReason: 'tool_calls', reasoningTokens, completionTokens };
  }
  const text = generateText(plan.prompt, replyTokens ?? defaultLength(plan.prompt + variant), `answer${variant}`);
  let pieces = plan.json ? splitText(jsonAnswer(plan.prompt, text.text, plan.json.schema), 12) : text.pieces;
  let finishReason: ChoiceAnswer['finishReason'] = 'stop';
  if (!plan.json) pieces = applyStop(pieces, plan.stop).pieces;
  if (plan.maxTokens !== undefined && !plan.json && pieces.length > plan.maxTokens) {
    pieces = pieces.slice(0, plan.maxTokens);
    finishReason = 'length';
  }
  const contentTokens = plan.json ? countTokens(pieces.join('')) : pieces.length;
  const logprobs = plan.logprobs ? pieces.map((p, k) => tokenLogprob(p, k, plan.logprobs!.top)) : undefined;
  return { index, ...(reasoning ? { reasoning } : {}), content: pieces, ...(logprobs ? { logprobs } : {}), finishReason, reasoningTokens, completionTokens: reasoningTokens + contentTokens };
}

const bytesOf = (t: string) => [...Buffer.from(t, 'utf8')];

/** A stable, plausible log probability for a piece, with `top` alternatives in falling order (the piece first). */
function tokenLogprob(token: string, at: number, top: number): TokenLogprob {
  const logprob = -((hash32(token, 97 + at) % 1000) / 1000);
  const alternatives = Array.from({ length: top }, (_, k) => {
    const alt = k === 0 ? token : `${token.trim() || token}~${k}`;
    return { token: alt, logprob: k === 0 ? logprob : logprob - k, bytes: bytesOf(alt) };
  });
  return { token, logprob, bytes: bytesOf(token), top_logprobs: alternatives };
}

export function composeAnswer(plan: ChatPlan, replyTokens?: number): ChatAnswer {
  const choices = Array.from({ length: plan.n }, (_, i) => answerChoice(plan, i, replyTokens));
  const completion = choices.reduce((s, c) => s + c.completionTokens, 0);
  const reasoning = choices.reduce((s, c) => s + c.reasoningTokens, 0);
  return {
    choices,
    usage: {
      prompt_tokens: plan.promptTokens,
      completion_tokens: completion,
      total_tokens: plan.promptTokens + completion,
      ...(plan.thinking ? { reasoningTokens: reasoning } : {}),
    },
  };
}

/** Usage as DashScope writes it (key order as recorded). */
export function usageBody(u: ChatAnswer['usage']): Record<string, unknown> {
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.total_tokens,
    ...(u.reasoningTokens !== undefined ? { completion_tokens_details: { reasoning_tokens: u.reasoningTokens } } : {}),
    prompt_tokens_details: { cached_tokens: 0 },
  };
}
