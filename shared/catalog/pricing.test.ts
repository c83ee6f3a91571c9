import { describe, expect, it } from 'vitest';
import { needRecordings, recordedLines } from '../../test/support/recordings.ts';
import { fromMicros } from '../domain/ledger.ts';
import { MODELS, requireModel, UnknownModelError, WrongModelKindError } from './catalog.ts';
import {
  chatCost,
  chatOutputCeiling,
  chatPriceTier,
  embeddingCost,
  estimateChatCost,
  estimateEmbeddingCost,
  estimateSpeechCost,
  estimateTaskCost,
  speechCharacters,
  speechCost,
  speechCostOfCharacters,
  taskCost,
  toUsd,
  usdToMicros,
} from './pricing.ts';

const qwenPlus = requireModel('qwen-plus', 'chat');
const qwen3Max = requireModel('qwen3-max', 'chat');
const embedV4 = requireModel('text-embedding-v4', 'embedding');
const tts = requireModel('qwen3-tts-flash', 'text-to-speech');

describe('chatCost', () => {
  it('bills prompt tokens at the input price and completion tokens at the output price, in micro-CNY', () => {
    // qwen-plus 0.8 / 2.0 CNY per 1M: 1,000 × 0.8 + 500 × 2 = 1,800 micro-CNY
    expect(chatCost(qwenPlus, { prompt_tokens: 1_000, completion_tokens: 500 })).toEqual({ micros: 1_800, units: { prompt_tokens: 1_000, completion_tokens: 500 } });
  });

  it('charges a million tokens exactly the list price', () => {
    expect(chatCost(qwenPlus, { prompt_tokens: 1_000_000, completion_tokens: 1_000_000 }).micros).toBe(2_800_000);
  });

  it('rounds once, on the sum, so fractional micro-CNY of each side are not lost twice', () => {
    const flash = requireModel('qwen-flash', 'chat'); // 0.15 / 1.5
    // 3 × 0.15 + 1 × 1.5 = 1.95 micro-CNY → 2; rounding each side first would give 0 + 2 (or 1 + 2)
    expect(chatCost(flash, { prompt_tokens: 3, completion_tokens: 1 }).micros).toBe(2);
    expect(chatCost(flash, { prompt_tokens: 3, completion_tokens: 0 }).micros).toBe(0);
  });

  it('counts reasoning tokens once: they are inside completion_tokens (the recorded qwen3-max answer)', () => {
    const cost = chatCost(qwen3Max, { prompt_tokens: 24, completion_tokens: 1_668, total_tokens: 1_692, completion_tokens_details: { reasoning_tokens: 1_353 }, prompt_tokens_details: { cached_tokens: 0 } });
    // 24 × 2.5 + 1,668 × 10 = 16,740 micro-CNY, not 1,668 + 1,353 output tokens
    expect(cost).toEqual({ micros: 16_740, units: { prompt_tokens: 24, completion_tokens: 1_668, reasoning_tokens: 1_353 } });
  });

  it('bills a reasoning count larger than completion_tokens as output (never less than the reasoning)', () => {
    expect(chatCost(qwenPlus, { prompt_tokens: 0, completion_tokens: 10, completion_tokens_details: { reasoning_tokens: 100 } })).toEqual({
      micros: 200,
      units: { prompt_tokens: 0, completion_tokens: 100, reasoning_tokens: 100 },
    });
  });

  it('bills cached prompt tokens in full and records them', () => {
    expect(chatCost(qwenPlus, { prompt_tokens: 1_000, completion_tokens: 0, prompt_tokens_details: { cached_tokens: 600 } })).toEqual({
      micros: 800,
      units: { prompt_tokens: 1_000, completion_tokens: 0, cached_tokens: 600 },
    });
  });

  it('picks the qwen3-max tier by the input tokens: 2.5/10 to 32K, 4/16 to 128K, 7/28 above', () => {
    const at = (prompt: number) => chatCost(qwen3Max, { prompt_tokens: prompt, completion_tokens: 1_000 }).micros;
    expect(at(32_768)).toBe(32_768 * 2.5 + 10_000);
    expect(at(32_769)).toBe(Math.round(32_769 * 4) + 16_000);
    expect(at(131_072)).toBe(131_072 * 4 + 16_000);
    expect(at(131_073)).toBe(131_073 * 7 + 28_000);
    expect(at(262_144)).toBe(262_144 * 7 + 28_000);
    // beyond the last tier (DashScope would refuse it): still the last tier, never the cheapest
    expect(chatPriceTier(qwen3Max, 1_000_000)).toMatchObject({ input: 7, output: 28 });
  });

  it('keeps a tiered model’s price.input/output equal to its lowest tier, and tiers in ascending order', () => {
    for (const m of MODELS) {
      if (m.kind !== 'chat' || !m.price.tiers) continue;
      expect(m.price.tiers[0]).toMatchObject({ input: m.price.input, output: m.price.output });
      const ceilings = m.price.tiers.map((t) => t.maxInputTokens);
      expect(ceilings).toEqual([...ceilings].sort((a, b) => a - b));
    }
    expect(qwen3Max.price.tiers).toHaveLength(3);
  });

  it('prices an untiered model flat at any length', () => {
    expect(chatPriceTier(qwenPlus, 120_000)).toMatchObject({ input: 0.8, output: 2 });
  });

  it('counts absent, null, negative or non-finite usage fields as zero', () => {
    expect(chatCost(qwenPlus, {})).toEqual({ micros: 0, units: { prompt_tokens: 0, completion_tokens: 0 } });
    expect(chatCost(qwenPlus, { prompt_tokens: null, completion_tokens: -5, completion_tokens_details: null }).micros).toBe(0);
    expect(chatCost(qwenPlus, { prompt_tokens: Number.NaN, completion_tokens: Number.POSITIVE_INFINITY }).micros).toBe(0);
  });

  it('prices each recorded DashScope answer so that prompt + completion = total_tokens (no double count)', (ctx) => {
    needRecordings(ctx);
    for (const name of ['alibaba-text', 'alibaba-reasoning', 'alibaba-tool-call']) {
      const lines = recordedLines(`${name}.chunks.txt`);
      const usage = (JSON.parse(lines[lines.length - 1]!) as { usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } }).usage;
      const cost = chatCost(qwen3Max, usage);
      expect(cost.units.prompt_tokens! + cost.units.completion_tokens!, name).toBe(usage.total_tokens);
      expect(cost.micros, name).toBe(Math.round(usage.prompt_tokens * 2.5 + usage.completion_tokens * 10));
    }
  });
});

describe('embeddingCost', () => {
  it('bills input tokens at 0.5 CNY per 1M', () => {
    expect(embeddingCost(embedV4, 10_000)).toEqual({ micros: 5_000, units: { prompt_tokens: 10_000 } });
    expect(embeddingCost(embedV4, 3)).toEqual({ micros: 2, units: { prompt_tokens: 3 } });
  });
});

describe('speechCharacters and speechCost', () => {
  it('counts each Han, kana and Hangul character twice and everything else once', () => {
    expect(speechCharacters('hello')).toBe(5);
    expect(speechCharacters('你好')).toBe(4);
    expect(speechCharacters('こんにちは')).toBe(10); // hiragana
    expect(speechCharacters('カタカナ')).toBe(8); // katakana
    expect(speechCharacters('ｶﾀｶﾅ')).toBe(8); // half-width katakana
    expect(speechCharacters('안녕')).toBe(4); // Hangul syllables
    expect(speechCharacters('ㅎ')).toBe(2); // Hangul compatibility jamo
    expect(speechCharacters('𠀀')).toBe(2); // CJK Extension B: one code point, not two UTF-16 units
    expect(speechCharacters('你好, world!')).toBe(4 + 8);
  });

  it('counts punctuation, even full-width, and spaces once', () => {
    expect(speechCharacters('。、！')).toBe(3);
    expect(speechCharacters(' \n')).toBe(2);
    expect(speechCharacters('')).toBe(0);
  });

  it('bills 0.8 CNY per 10,000 characters', () => {
    expect(speechCost(tts, 'a'.repeat(10_000))).toEqual({ micros: 800_000, units: { characters: 10_000 } });
    // 600 CJK characters are 1,200 billed: 0.096 CNY
    expect(speechCost(tts, '字'.repeat(600))).toEqual({ micros: 96_000, units: { characters: 1_200 } });
    expect(speechCostOfCharacters(tts, 5)).toEqual({ micros: 400, units: { characters: 5 } });
  });
});

describe('taskCost', () => {
  const task = (model: string, parameters: Record<string, unknown> = {}) => ({ model, parameters });

  it('prices images by the count DashScope reports (successes only), not the count asked for', () => {
    expect(taskCost(task('wanx2.1-t2i-plus', { n: 4 }), { image_count: 3 })).toEqual({ micros: 600_000, units: { images: 3 } });
    expect(taskCost(task('wanx2.1-t2i-plus', { n: 4 }), { image_count: '2' })).toEqual({ micros: 400_000, units: { images: 2 } });
  });

  it('prices a wan2.5 text-to-video by seconds at the tier of its ratio', () => {
    expect(taskCost(task('wan2.5-t2v-preview'), { video_duration: 10, video_ratio: '832*480', video_count: 1 })).toEqual({ micros: 3_000_000, units: { videos: 1, seconds: 10 } });
  });

  it('reads the newer usage shape (duration and SR)', () => {
    expect(taskCost(task('wan2.5-i2v-preview'), { duration: 5, SR: 720, video_count: 1 })?.micros).toBe(3_000_000);
    expect(taskCost(task('wan2.5-t2v-preview'), { output_video_duration: 10, size: '1280*720', SR: 720, video_count: 1 })?.micros).toBe(6_000_000);
  });

  it('falls back to the requested size and duration when usage lacks them', () => {
    expect(taskCost(task('wan2.5-t2v-preview', { size: '1920*1080' }), { video_duration: 5 })?.micros).toBe(5_000_000);
    expect(taskCost(task('wan2.5-i2v-preview', { resolution: '480P', duration: 10 }), { video_count: 1 })?.micros).toBe(3_000_000);
  });

  it('multiplies by the number of videos', () => {
    expect(taskCost(task('wan2.2-t2v-plus'), { video_duration: 5, video_ratio: '1920*1080', video_count: 2 })).toEqual({ micros: 7_000_000, units: { videos: 2, seconds: 10 } });
  });

  it('prices speech by the characters DashScope reports', () => {
    expect(taskCost(task('qwen3-tts-flash'), { characters: 100 })?.micros).toBe(8_000);
  });

  it('gives no cost without usage, for an unknown model, or at a tier the catalogue does not price', () => {
    expect(taskCost(task('wanx2.1-t2i-plus'), undefined)).toBeUndefined();
    expect(taskCost(task('wanx2.1-t2i-plus'), {})).toBeUndefined();
    expect(taskCost(task('no-such-model'), { image_count: 1 })).toBeUndefined();
    expect(taskCost(task('wanx2.1-t2v-turbo'), { video_duration: 5, video_ratio: '1920*1080' })).toBeUndefined();
  });

  it('derives the task’s CNY amount exactly from micros (0.14 × 2 is 0.28, not 0.28000000000000003)', () => {
    expect(fromMicros(taskCost(task('wanx2.1-t2i-turbo'), { image_count: 2 })!.micros)).toBe(0.28);
  });
});

describe('estimates', () => {
  it('bounds a chat request by its max_tokens, or the model’s output ceiling when it sets none', () => {
    expect(chatOutputCeiling(qwenPlus, { maxTokens: 100 })).toBe(100);
    expect(chatOutputCeiling(qwenPlus)).toBe(qwenPlus.maxOutputTokens);
  });

  it('adds the thinking budget when the answer may think, since max_tokens does not cap reasoning', () => {
    expect(chatOutputCeiling(qwenPlus, { maxTokens: 100, thinking: true })).toBe(100 + qwenPlus.maxThinkingBudget!);
    expect(chatOutputCeiling(qwenPlus, { maxTokens: 100, thinking: true, thinkingBudget: 500 })).toBe(600);
    // qwen3-32b thinks unless told not to; the thinking-only model always does; qwen-max never
    const q32 = requireModel('qwen3-32b', 'chat');
    expect(chatOutputCeiling(q32, { maxTokens: 100 })).toBe(100 + q32.maxThinkingBudget!);
    expect(chatOutputCeiling(q32, { maxTokens: 100, thinking: false })).toBe(100);
    const always = requireModel('qwen3-235b-a22b-thinking-2507', 'chat');
    expect(chatOutputCeiling(always, { maxTokens: 100, thinking: false })).toBe(100 + always.maxThinkingBudget!);
    expect(chatOutputCeiling(requireModel('qwen-max', 'chat'), { maxTokens: 100, thinking: true })).toBe(100);
  });

  it('estimates a chat request at the tier of its prompt, never below what the same usage costs', () => {
    const est = estimateChatCost(qwen3Max, 40_000, 2_000);
    expect(est.micros).toBe(40_000 * 4 + 2_000 * 16);
    for (const [prompt, completion] of [[10, 5], [32_000, 1_000], [200_000, 30_000]] as const) {
      expect(estimateChatCost(qwen3Max, prompt, completion).micros).toBeGreaterThanOrEqual(chatCost(qwen3Max, { prompt_tokens: prompt, completion_tokens: completion }).micros);
    }
    expect(estimateChatCost(qwenPlus, 1_000).micros).toBe(Math.round(1_000 * 0.8 + qwenPlus.maxOutputTokens * 2));
  });

  it('gives every chat model an output ceiling, marked unverified where the specs give none', () => {
    for (const m of MODELS) {
      if (m.kind !== 'chat') continue;
      expect(m.maxOutputTokens, m.id).toBeGreaterThan(0);
      expect(m.maxOutputTokens, m.id).toBeLessThanOrEqual(m.contextTokens);
      expect(m.unverifiedFigures, m.id).toContain('maxOutputTokens');
    }
  });

  it('estimates embeddings and speech like their costs', () => {
    expect(estimateEmbeddingCost(embedV4, 2_000)).toEqual(embeddingCost(embedV4, 2_000));
    expect(estimateSpeechCost(tts, '你好')).toEqual({ micros: 320, units: { characters: 4 } });
  });

  it('estimates images as n × the price per image', () => {
    expect(estimateTaskCost('text-to-image', 'wanx2.1-t2i-plus', { n: 4 })).toEqual({ micros: 800_000, units: { images: 4 } });
    expect(estimateTaskCost('text-to-image', 'wanx2.1-t2i-turbo', {})).toEqual({ micros: 140_000, units: { images: 1 } });
  });

  it('estimates a video as duration × the per-second price at the tier of its size or resolution, with the catalogue’s defaults', () => {
    expect(estimateTaskCost('text-to-video', 'wan2.5-t2v-preview', { size: '832*480', duration: 10 })).toEqual({ micros: 3_000_000, units: { videos: 1, seconds: 10 } });
    // default 5 s at 1920*1080 (1080P, 1.0 per second)
    expect(estimateTaskCost('text-to-video', 'wan2.5-t2v-preview', {}).micros).toBe(5_000_000);
    expect(estimateTaskCost('image-to-video', 'wan2.5-i2v-preview', { resolution: '720P' }).micros).toBe(3_000_000);
    // a size the catalogue cannot tier: the dearest second of the model
    expect(estimateTaskCost('text-to-video', 'wan2.2-t2v-plus', { size: '999*999' }).micros).toBe(3_500_000);
  });

  it('never estimates a task below what DashScope can bill for the same request', () => {
    const params = { size: '1280*720', duration: 10 };
    const real = taskCost({ model: 'wan2.5-t2v-preview', parameters: params }, { video_duration: 10, video_ratio: '1280*720', video_count: 1 })!;
    expect(estimateTaskCost('text-to-video', 'wan2.5-t2v-preview', params).micros).toBeGreaterThanOrEqual(real.micros);
  });

  it('bounds a speech task without its text by the model’s longest text, all CJK', () => {
    expect(estimateTaskCost('text-to-speech', 'qwen3-tts-flash').micros).toBe(96_000);
  });

  it('refuses a model the catalogue does not have or that cannot do the task', () => {
    expect(() => estimateTaskCost('text-to-image', 'nope')).toThrow(UnknownModelError);
    expect(() => estimateTaskCost('text-to-image', 'wan2.5-t2v-preview')).toThrow(WrongModelKindError);
  });
});

describe('currencies', () => {
  it('converts micro-CNY to USD at CNY_PER_USD, to the micro-dollar', () => {
    expect(toUsd(7_200_000, 7.2)).toBe(1);
    expect(toUsd(1_000_000, 7.2)).toBe(0.138889);
    expect(toUsd(0, 7.2)).toBe(0);
  });

  it('converts a USD budget to micro-CNY without raising it by rounding', () => {
    expect(usdToMicros(10, 7.2)).toBe(72_000_000);
    expect(usdToMicros(0.1, 7.2)).toBe(720_000);
    expect(usdToMicros(2.3, 7.2)).toBe(16_560_000);
    expect(usdToMicros(4.35, 7.2)).toBe(31_320_000);
    expect(usdToMicros(1 / 3, 7)).toBe(2_333_333);
  });
});
