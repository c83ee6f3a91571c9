// The article step: one JSON-mode chat call (title, introduction, sections, conclusion), admitted and billed
// by the guards to the pipeline's tenant under a ref per pipeline and attempt, so a redelivered event that
// repeats an attempt is never billed twice. Failures are sorted: worth another attempt later, or final.
import { z } from 'zod';
import { requireModel } from '../../catalog/catalog.ts';
import { estimateChatCost } from '../../catalog/pricing.ts';
import { PIPELINE_LANGUAGES, PIPELINE_STYLES, type Article, type Pipeline } from '../../domain/pipeline.ts';
import type { Principal } from '../../domain/tenant.ts';
import { parseJson } from '../../json/parse-json.ts';
import { chatBill } from '../chat/chat-billing.ts';
import { UpstreamError } from '../chat/chat-errors.ts';
import { toUpstreamError } from '../chat/upstream-error.ts';
import { estimateTokens } from '../chat/token-estimate.ts';
import { BudgetExceededError, RateLimitedError } from '../guards/guard-errors.ts';
import { NOOP_ADMISSION } from '../guards/guard.ts';
import { pipelineTimings, type PipelineDeps } from './pipeline-deps.ts';

/** Enough for a short article of four or five sections; bounds what the budget reserves. */
const ARTICLE_MAX_TOKENS = 2_500;

const articleSchema = z.object({
  title: z.string().trim().min(1).max(300),
  introduction: z.string().trim().min(1).max(6_000),
  sections: z.array(z.object({ heading: z.string().trim().min(1).max(300), body: z.string().trim().min(1).max(8_000) })).min(1).max(12),
  conclusion: z.string().trim().min(1).max(6_000),
});

export type ArticleOutcome =
  | { kind: 'written'; article: Article }
  /** Another attempt later may succeed (throttled, unavailable, a malformed answer). */
  | { kind: 'retry'; code: string; message: string }
  /** No attempt will (refused, the service's key or account, a budget spent). */
  | { kind: 'failed'; code: string; message: string };

/** The article's shape, given to the model as a JSON schema in the prompt (JSON mode takes no schema of its own). */
const ARTICLE_JSON_SCHEMA = JSON.stringify({
  type: 'object',
  properties: {
    title: { type: 'string' },
    introduction: { type: 'string' },
    sections: { type: 'array', minItems: 3, maxItems: 5, items: { type: 'object', properties: { heading: { type: 'string' }, body: { type: 'string' } }, required: ['heading', 'body'] } },
    conclusion: { type: 'string' },
  },
  required: ['title', 'introduction', 'sections', 'conclusion'],
});

function prompts(p: Pipeline): { system: string; user: string } {
  return {
    system: `You write articles. Answer with one JSON object only, following this JSON schema:\n${ARTICLE_JSON_SCHEMA}\nWrite in ${PIPELINE_LANGUAGES[p.language]}; the tone is ${PIPELINE_STYLES[p.style].writing}. Section bodies are plain paragraphs (no headings).`,
    user: `Write an article about: ${p.topic}\nUse an introduction of two or three sentences, three to five sections of one or two paragraphs each, and a short conclusion. Answer in JSON.`,
  };
}

export async function writeArticle(deps: PipelineDeps, p: Pipeline, principal: Pick<Principal, 'tenant' | 'limits' | 'budgets'>, attempt: number): Promise<ArticleOutcome> {
  const timings = pipelineTimings(deps);
  const model = requireModel(deps.config.PIPELINE_ARTICLE_MODEL, 'chat');
  const { system, user } = prompts(p);
  const messages = [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
  const promptChars = system.length + user.length;
  const promptTokens = estimateTokens(system + user);
  let admission = NOOP_ADMISSION;
  try {
    if (deps.guard) {
      admission = await deps.guard.admit({
        principal,
        model,
        ref: `pipeline:${p.id}:article:${attempt}`,
        upstreamRequests: 1,
        tokens: promptTokens + ARTICLE_MAX_TOKENS,
        costMicros: estimateChatCost(model, promptChars, ARTICLE_MAX_TOKENS).micros,
        holdMs: timings.articleLeaseMs + 60_000,
      });
    }
  } catch (e) {
    if (e instanceof RateLimitedError) return { kind: 'retry', code: e.code, message: e.message };
    if (e instanceof BudgetExceededError) return { kind: 'failed', code: e.code, message: e.message };
    throw e;
  }
  let answer: Awaited<ReturnType<PipelineDeps['dashscope']['chat']>>;
  try {
    answer = await deps.dashscope.chat({ model: model.id, messages, response_format: { type: 'json_object' }, max_tokens: ARTICLE_MAX_TOKENS }, { timeoutMs: timings.articleTimeoutMs });
  } catch (e) {
    await admission.release().catch(() => undefined);
    const u = toUpstreamError(e);
    if (!(u instanceof UpstreamError)) throw e;
    const final = u.problem === 'refused' || u.problem === 'auth' || u.problem === 'quota';
    const message = u.expose ? u.message : `DashScope failed the article call (${u.problem})`;
    return { kind: final ? 'failed' : 'retry', code: u.code, message };
  }
  const { completion, requestId } = answer;
  await admission.settle(chatBill(model, completion.usage ?? undefined, promptTokens, requestId)).catch((error: unknown) => deps.logger.error('article cost not recorded', { pipelineId: p.id, error }));
  const content = completion.choices[0]?.message.content ?? '';
  let parsed: unknown;
  try {
    parsed = parseJson(content);
  } catch {
    return { kind: 'retry', code: 'invalid_article', message: 'the model did not answer with a JSON article' };
  }
  const article = articleSchema.safeParse(parsed);
  if (!article.success) {
    const issue = article.error.issues[0];
    return { kind: 'retry', code: 'invalid_article', message: `the model's article does not have the expected shape (${issue?.path.join('.') || 'body'}: ${issue?.message ?? ''})` };
  }
  return { kind: 'written', article: article.data };
}
