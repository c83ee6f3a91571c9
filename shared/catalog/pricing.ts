// What a call or task costs at the catalogue's list prices, in integer micro-CNY (shared/domain/ledger.ts), with
// the units counted; and the upper-bound estimates admission reserves before the call. Pure: no I/O.
import type { Task } from '../domain/task.ts';
import { MICROS_PER_CNY } from '../domain/ledger.ts';
import {
  findModel,
  requireModel,
  T2V_SIZE_TIER,
  type ChatModel,
  type ChatPriceTier,
  type EmbeddingModel,
  type ImageModel,
  type SpeechModel,
  type VideoModel,
} from './catalog.ts';

/** A cost in micro-CNY (an integer ≥ 0) and what was counted to reach it. */
export interface Cost {
  micros: number;
  units: Record<string, number>;
}

/** Chat usage as DashScope's compatible mode reports it (a field absent or null counts as zero). */
export interface ChatUsage {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  /** Not read: prompt + completion, which the cost is made of. */
  total_tokens?: number | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
}

/** A count from usage: a finite number ≥ 0, rounded; anything else (absent, null, negative, NaN) is zero. */
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : 0);

/** A list price as an integer number of micro-CNY per its unit × 10^6, so products of counts stay exact. */
const scaled = (cny: number): number => Math.round(cny * MICROS_PER_CNY);
/** `n` units at `cnyPerMillion` CNY per 1M units, in micro-CNY: n × price exactly, then rounded once. */
const perMillion = (n: number, cnyPerMillion: number): number => n * scaled(cnyPerMillion);
const toMicrosRounded = (microsTimesMillion: number): number => Math.round(microsTimesMillion / 1_000_000);

/** The price tier of a request with `inputTokens` input tokens: the first whose ceiling holds it, else the last. */
export function chatPriceTier(model: ChatModel, inputTokens: number): ChatPriceTier {
  const tiers = model.price.tiers;
  if (!tiers?.length) return { maxInputTokens: Number.POSITIVE_INFINITY, input: model.price.input, output: model.price.output };
  return tiers.find((t) => inputTokens <= t.maxInputTokens) ?? tiers[tiers.length - 1]!;
}

/**
 * A chat call's cost from its usage: prompt tokens at the input price and completion tokens at the output price
 * of the tier the prompt falls in. Reasoning tokens are output tokens and DashScope counts them inside
 * completion_tokens (the recorded qwen3-max answers: 1,668 completion tokens of which 1,353 reasoning), so they
 * are recorded in `units` but not added again; should a report ever give more reasoning than completion
 * tokens, the reasoning count is billed. Cached prompt tokens are billed in full (the specs give no cache
 * price) and recorded as `cached_tokens`.
 */
export function chatCost(model: ChatModel, usage: ChatUsage): Cost {
  const prompt = count(usage.prompt_tokens);
  const reasoning = count(usage.completion_tokens_details?.reasoning_tokens);
  const completion = Math.max(count(usage.completion_tokens), reasoning);
  const cached = count(usage.prompt_tokens_details?.cached_tokens);
  const tier = chatPriceTier(model, prompt);
  const units: Record<string, number> = { prompt_tokens: prompt, completion_tokens: completion };
  if (reasoning > 0) units.reasoning_tokens = reasoning;
  if (cached > 0) units.cached_tokens = cached;
  return { micros: toMicrosRounded(perMillion(prompt, tier.input) + perMillion(completion, tier.output)), units };
}

/** An embeddings call's cost: its input tokens at the model's price. */
export function embeddingCost(model: EmbeddingModel, tokens: number): Cost {
  const n = count(tokens);
  return { micros: toMicrosRounded(perMillion(n, model.price.input)), units: { prompt_tokens: n } };
}

// Unicode scripts (not blocks), so every CJK Unified Ideographs extension, the compatibility ideographs and the
// radicals count (Han), both kana including half-width katakana (Hiragana, Katakana), and Hangul syllables and
// jamo including the compatibility and half-width forms (Hangul). Punctuation, even full-width, counts 1.
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** Billed characters of a text for speech synthesis: each code point counts 1, a Han, kana or Hangul one 2. */
export function speechCharacters(text: string): number {
  let n = 0;
  for (const ch of text) n += CJK.test(ch) ? 2 : 1;
  return n;
}

/** A synthesis of `characters` billed characters (DashScope's `usage.characters`). */
export function speechCostOfCharacters(model: SpeechModel, characters: number): Cost {
  const n = count(characters);
  // per 10,000 characters: n × price × 10^6 / 10^4 micro-CNY
  return { micros: Math.round((n * scaled(model.price.per10kCharacters)) / 10_000), units: { characters: n } };
}

/** A speech synthesis of `text`, each CJK character counted twice (speechCharacters). */
export function speechCost(model: SpeechModel, text: string): Cost {
  return speechCostOfCharacters(model, speechCharacters(text));
}

type Tier = '480P' | '720P' | '1080P';

/** `480P`, `720`, `1280*720`… as a resolution tier, or undefined. */
function tierOf(value: unknown): Tier | undefined {
  if (typeof value === 'number') return tierOf(`${value}P`);
  if (typeof value !== 'string') return undefined;
  if (value === '480P' || value === '720P' || value === '1080P') return value;
  return T2V_SIZE_TIER[value];
}

/** A usage count DashScope may send as a number or a numeric string. */
const usageNumber = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
};

function videoCost(model: VideoModel, parameters: Record<string, unknown>, usage: Record<string, unknown>): Cost | undefined {
  // wan2.5 and older: video_duration/video_ratio; wan2.6 and i2v: duration (or output_video_duration) and SR
  const seconds = usageNumber(usage.video_duration) ?? usageNumber(usage.output_video_duration) ?? usageNumber(usage.duration) ?? usageNumber(parameters.duration);
  const tier = tierOf(usage.video_ratio) ?? tierOf(usage.size) ?? tierOf(usage.SR) ?? tierOf(parameters.size) ?? tierOf(parameters.resolution);
  const perSecond = tier ? model.price.perSecond[tier] : undefined;
  if (seconds === undefined || perSecond === undefined) return undefined;
  const videos = usageNumber(usage.video_count) ?? 1;
  const billed = seconds * videos;
  return { micros: Math.round(billed * scaled(perSecond)), units: { videos, seconds: billed } };
}

/**
 * What a finished task cost from the usage DashScope reported: images by `image_count` (successes only),
 * videos by generated seconds at their resolution tier, speech by `characters`. Undefined without usage or
 * when the catalogue has no price for what was reported (an unknown model, a tier it does not price).
 */
export function taskCost(task: Pick<Task, 'model' | 'parameters'> & Partial<Pick<Task, 'type'>>, usage: Record<string, unknown> | undefined): Cost | undefined {
  // billed per training token at a price the sources do not give: the tokens are counted, the cost is zero
  if (task.type === 'fine-tune') return { micros: 0, units: { trainingTokens: usageNumber(usage?.training_tokens) ?? 0 } };
  const model = findModel(task.model);
  if (!model || !usage) return undefined;
  switch (model.kind) {
    case 'text-to-image': {
      const images = usageNumber(usage.image_count);
      return images === undefined ? undefined : { micros: Math.round(images * scaled(model.price.perImage)), units: { images } };
    }
    case 'text-to-video':
    case 'image-to-video':
      return videoCost(model, task.parameters, usage);
    case 'text-to-speech': {
      const characters = usageNumber(usage.characters);
      return characters === undefined ? undefined : speechCostOfCharacters(model, characters);
    }
    default:
      return undefined;
  }
}

// ---- estimates for admission: upper bounds, so a budget is overshot by at most one request's estimate ----

export interface ChatOutputRequest {
  /** The request's max_tokens; absent: the model's maxOutputTokens. */
  maxTokens?: number;
  /** Whether the answer may think; absent: as the model does by default (default-on and always). */
  thinking?: boolean;
  /** The request's thinking_budget; absent: the model's maxThinkingBudget. */
  thinkingBudget?: number;
}

/**
 * The most output tokens a chat request can be billed for: its max_tokens (or the model's ceiling), plus, when
 * it may think, its thinking budget (or the model's), since max_tokens does not cap reasoning.
 */
export function chatOutputCeiling(model: ChatModel, request: ChatOutputRequest = {}): number {
  const answer = request.maxTokens ?? model.maxOutputTokens;
  const thinks = model.thinking === 'always' || (model.thinking !== 'none' && (request.thinking ?? model.thinking === 'default-on'));
  const reasoning = thinks ? (request.thinkingBudget ?? model.maxThinkingBudget ?? 0) : 0;
  return count(answer) + count(reasoning);
}

/**
 * An upper bound of a chat request's cost: `promptTokens` (an estimate the caller keeps on the high side) and
 * `maxOutputTokens` (default: chatOutputCeiling of a request that sets nothing) at the tier of the prompt.
 */
export function estimateChatCost(model: ChatModel, promptTokens: number, maxOutputTokens: number = chatOutputCeiling(model)): Cost {
  return chatCost(model, { prompt_tokens: promptTokens, completion_tokens: maxOutputTokens });
}

/** An upper bound of an embeddings request's cost from an estimate of its input tokens. */
export function estimateEmbeddingCost(model: EmbeddingModel, tokens: number): Cost {
  return embeddingCost(model, tokens);
}

/** A synthesis's cost is known before the call: its text's billed characters. */
export function estimateSpeechCost(model: SpeechModel, text: string): Cost {
  return speechCost(model, text);
}

/** What parseTaskRequest sends when `n` is absent. */
const DEFAULT_IMAGES = 1;

function estimateVideo(model: VideoModel, parameters: Record<string, unknown>): Cost {
  const seconds = usageNumber(parameters.duration) ?? model.defaultDuration;
  const tier = tierOf(parameters.size) ?? tierOf(parameters.resolution) ?? tierOf(model.defaultSize);
  // a size the catalogue cannot tier is estimated at the model's dearest second
  const perSecond = (tier ? model.price.perSecond[tier] : undefined) ?? Math.max(...Object.values(model.price.perSecond));
  return { micros: Math.round(seconds * scaled(perSecond)), units: { videos: 1, seconds } };
}

function estimateImages(model: ImageModel, parameters: Record<string, unknown>): Cost {
  const images = usageNumber(parameters.n) ?? DEFAULT_IMAGES;
  return { micros: Math.round(images * scaled(model.price.perImage)), units: { images } };
}

/**
 * An upper bound of a media task's cost from its request: n images × the price per image; a video's duration
 * (default the model's) × the price per second at the tier of its size or resolution (default the model's).
 * A speech task without its text is bounded by the model's longest text, all CJK. Throws the catalogue's
 * UnknownModelError / WrongModelKindError for a model that cannot do `type`.
 */
export function estimateTaskCost(type: Task['type'], modelId: string, parameters: Record<string, unknown> = {}): Cost {
  // DashScope bills fine-tuning per training token, but no price is published for it: recorded as zero
  if (type === 'fine-tune') return { micros: 0, units: {} };
  const model = requireModel(modelId, type);
  switch (model.kind) {
    case 'text-to-image':
      return estimateImages(model, parameters);
    case 'text-to-video':
    case 'image-to-video':
      return estimateVideo(model, parameters);
    case 'text-to-speech':
      return typeof parameters.text === 'string' ? speechCost(model, parameters.text) : speechCostOfCharacters(model, 2 * model.maxCharacters);
  }
}

// ---- currencies ----

const MICROS_PER_USD = 1_000_000;

/** Micro-CNY in USD at `cnyPerUsd` (CNY_PER_USD), rounded to the micro-dollar. */
export function toUsd(micros: number, cnyPerUsd: number): number {
  return Math.round(micros / cnyPerUsd) / MICROS_PER_USD;
}

/** A USD amount (a budget) in micro-CNY at `cnyPerUsd`, rounded down: a budget is never raised by rounding. */
export function usdToMicros(usd: number, cnyPerUsd: number): number {
  // to a thousandth of a micro-CNY first: 2.3 × 7.2 × 10^6 is 16559999.999999998 in binary, not a micro short
  return Math.floor(Math.round(usd * cnyPerUsd * MICROS_PER_CNY * 1_000) / 1_000);
}
