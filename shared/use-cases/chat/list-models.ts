// GET /v1/models and /v1/models/{id}: the catalogue in OpenAI's shapes, each entry extended with what the app
// needs to pick a model (kind, capabilities, limits, list prices in CNY).
import { MODELS, requireModel, type Model } from '../../catalog/catalog.ts';
import { releasedAt } from '../../catalog/release-dates.ts';

export interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  /** Alibaba Cloud makes every model DashScope serves (Qwen, Wan). */
  owned_by: 'alibaba';
  kind: Model['kind'];
  description: string;
  capabilities: Record<string, unknown>;
  limits: Record<string, number>;
  price: Record<string, unknown> & { currency: 'CNY' };
  unverified?: boolean;
}

function capabilities(m: Model): Record<string, unknown> {
  switch (m.kind) {
    case 'chat':
      return {
        thinking: m.thinking,
        thinking_stream_only: m.thinkingStreamOnly,
        ...(m.maxThinkingBudget !== undefined ? { max_thinking_budget: m.maxThinkingBudget } : {}),
        json_mode: m.jsonMode,
        tools: m.tools,
        context_tokens: m.contextTokens,
        max_output_tokens: m.maxOutputTokens,
      };
    case 'embedding':
      return { dimensions: m.dimensions, default_dimensions: m.defaultDimensions, max_batch: m.maxBatch, max_tokens_per_text: m.maxTokensPerText };
    case 'text-to-image':
      return { max_images: m.maxImages };
    case 'text-to-video':
    case 'image-to-video':
      return { durations: m.durations, default_duration: m.defaultDuration, sizes: m.sizes, default_size: m.defaultSize };
    case 'text-to-speech':
      return { max_characters: m.maxCharacters, voices: m.voices, languages: m.languages };
  }
}

function price(m: Model): ModelEntry['price'] {
  switch (m.kind) {
    case 'chat':
      return {
        currency: 'CNY',
        unit: '1M tokens',
        input: m.price.input,
        output: m.price.output,
        ...(m.price.tiers ? { tiers: m.price.tiers.map((t) => ({ max_input_tokens: t.maxInputTokens, input: t.input, output: t.output })) } : {}),
      };
    case 'embedding':
      return { currency: 'CNY', unit: '1M tokens', input: m.price.input };
    case 'text-to-image':
      return { currency: 'CNY', unit: 'image', per_image: m.price.perImage };
    case 'text-to-video':
    case 'image-to-video':
      return { currency: 'CNY', unit: 'second', per_second: m.price.perSecond };
    case 'text-to-speech':
      return { currency: 'CNY', unit: '10k characters', per_10k_characters: m.price.per10kCharacters };
  }
}

function entry(m: Model): ModelEntry {
  return {
    id: m.id,
    object: 'model',
    created: releasedAt(m),
    owned_by: 'alibaba',
    kind: m.kind,
    description: m.description,
    capabilities: capabilities(m),
    limits: { ...m.limits },
    price: price(m),
    ...(m.unverified ? { unverified: true } : {}),
  };
}

export function listModels(kinds?: readonly Model['kind'][]): { object: 'list'; data: ModelEntry[] } {
  return { object: 'list', data: MODELS.filter((m) => !kinds || kinds.includes(m.kind)).map(entry) };
}

/** One model by id (`models.retrieve`); an unknown id is UnknownModelError (404 model_not_found). */
export function getModel(id: string): ModelEntry {
  return entry(requireModel(id));
}
