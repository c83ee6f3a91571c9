// The model catalogue: what each DashScope model is, what it can do, its limits and list prices (CNY, China
// mainland). Figures follow specs/dashscope-api.md, which win where the seed article disagrees.
import { clip } from '../text/clip.ts';

/** Longest model id a request may name (DashScope's are under 40): a longer one is refused, never looked up. */
export const MODEL_ID_MAX_CHARS = 128;

export type ModelKind = 'chat' | 'embedding' | 'text-to-image' | 'text-to-video' | 'image-to-video' | 'text-to-speech';

/** How a chat model thinks: never, off unless asked, on unless turned off, or always. */
export type ThinkingMode = 'none' | 'optional' | 'default-on' | 'always';

interface Base {
  id: string;
  kind: ModelKind;
  description: string;
  /** True where the id is in the specs but the price or a limit is UNVERIFIED. */
  unverified?: boolean;
}

export interface ChatModel extends Base {
  kind: 'chat';
  thinking: ThinkingMode;
  /** DashScope answers 400 to thinking without `stream: true` on these models. */
  thinkingStreamOnly: boolean;
  maxThinkingBudget?: number;
  jsonMode: boolean;
  /**
   * DashScope honours `response_format: json_schema` itself on this model. The specs name no model that does,
   * so it is off everywhere: the layer serves json_schema as JSON mode with the schema in the instructions and
   * checks the answer against it. Set it per model once DashScope is seen enforcing schemas there.
   */
  jsonSchema?: boolean;
  tools: boolean;
  contextTokens: number;
  /**
   * The most tokens one answer may have when the request sets no `max_tokens`; reasoning is not included
   * (`max_tokens` does not cap it: a thinking answer may add up to the thinking budget).
   */
  maxOutputTokens: number;
  /** Figures of this entry the specs do not give or mark UNVERIFIED, beyond the price and limits `unverified` covers. */
  unverifiedFigures?: readonly ChatFigure[];
  limits: { rpm: number; tpm: number };
  /**
   * CNY per 1M tokens. `input`/`output` are the lowest tier; where the specs give tiers by the request's input
   * tokens, `tiers` lists them in ascending order (the first equal to input/output, the last open-ended).
   */
  price: { input: number; output: number; tiers?: readonly ChatPriceTier[] };
}

export type ChatFigure = 'maxOutputTokens' | 'maxThinkingBudget';

/** One price tier: applies to a request whose input tokens are at most `maxInputTokens` (and above the tier before). */
export interface ChatPriceTier {
  maxInputTokens: number;
  input: number;
  output: number;
}

export interface EmbeddingModel extends Base {
  kind: 'embedding';
  dimensions: number[];
  defaultDimensions: number;
  maxBatch: number;
  maxTokensPerText: number;
  limits: { rpm: number; tpm: number };
  price: { input: number };
}

export interface ImageModel extends Base {
  kind: 'text-to-image';
  maxImages: number;
  limits: { submitsPerSecond: number; concurrentTasks: number };
  /** CNY per image. */
  price: { perImage: number };
}

export interface VideoModel extends Base {
  kind: 'text-to-video' | 'image-to-video';
  durations: number[];
  defaultDuration: number;
  /** t2v: pixel sizes (`W*H`); i2v: resolutions (`480P`…). */
  sizes: string[];
  defaultSize: string;
  limits: { submitsPerSecond: number; concurrentTasks: number };
  /** CNY per generated second, by resolution tier (480P/720P/1080P). */
  price: { perSecond: Partial<Record<'480P' | '720P' | '1080P', number>> };
}

export interface SpeechModel extends Base {
  kind: 'text-to-speech';
  maxCharacters: number;
  voices: string[];
  languages: string[];
  limits: { rpm: number };
  /** CNY per 10,000 characters (a CJK character counts as 2). */
  price: { per10kCharacters: number };
}

export type Model = ChatModel | EmbeddingModel | ImageModel | VideoModel | SpeechModel;

const T2V_SIZES_480 = ['832*480', '480*832', '624*624'];
const T2V_SIZES_720 = ['1280*720', '720*1280', '960*960', '1088*832', '832*1088'];
const T2V_SIZES_1080 = ['1920*1080', '1080*1920', '1440*1440', '1632*1248', '1248*1632'];
export const T2V_SIZE_TIER: Record<string, '480P' | '720P' | '1080P'> = Object.fromEntries([
  ...T2V_SIZES_480.map((s) => [s, '480P'] as const),
  ...T2V_SIZES_720.map((s) => [s, '720P'] as const),
  ...T2V_SIZES_1080.map((s) => [s, '1080P'] as const),
]);

export const QWEN3_TTS_VOICES = [
  'Cherry', 'Serena', 'Ethan', 'Chelsie', 'Momo', 'Vivian', 'Moon', 'Maia', 'Kai', 'Nofish', 'Bella', 'Jennifer',
  'Ryan', 'Katerina', 'Aiden', 'Elias', 'Neil', 'Sohee', 'Ono Anna', 'Jada', 'Dylan', 'Li', 'Marcus', 'Roy',
  'Peter', 'Sunny', 'Eric', 'Rocky', 'Kiki',
];
export const TTS_LANGUAGES = [
  'Auto', 'Chinese', 'English', 'German', 'Italian', 'Portuguese', 'Spanish', 'Japanese', 'Korean', 'French', 'Russian',
];

const chat = (m: Omit<ChatModel, 'kind'>): ChatModel => ({ kind: 'chat', ...m });

// The specs give no output ceilings: these are DashScope's model pages as last seen, all UNVERIFIED. They bound
// cost estimates only when a request sets no max_tokens, so each is the larger of the figures seen.
const MAX_OUTPUT_UNVERIFIED: readonly ChatFigure[] = ['maxOutputTokens'];

// specs/dashscope-api.md §8: 2.5/10 up to 32K input tokens, 4/16 up to 128K, 7/28 up to 256K (K = 1,024, as in
// the model's 262,144-token context); the tier is chosen by the request's input tokens
const QWEN3_MAX_TIERS: readonly ChatPriceTier[] = [
  { maxInputTokens: 32_768, input: 2.5, output: 10 },
  { maxInputTokens: 131_072, input: 4, output: 16 },
  { maxInputTokens: 262_144, input: 7, output: 28 },
];

export const MODELS: readonly Model[] = [
  chat({ id: 'qwen-turbo', description: 'Fast, cheap Qwen; hybrid thinking', thinking: 'optional', thinkingStreamOnly: true, maxThinkingBudget: 38_912, jsonMode: true, tools: true, contextTokens: 1_000_000, maxOutputTokens: 16_384, unverifiedFigures: MAX_OUTPUT_UNVERIFIED, limits: { rpm: 1_200, tpm: 5_000_000 }, price: { input: 0.3, output: 0.6 } }),
  chat({ id: 'qwen-flash', description: 'Successor of qwen-turbo; hybrid thinking', thinking: 'optional', thinkingStreamOnly: true, maxThinkingBudget: 81_920, jsonMode: true, tools: true, contextTokens: 1_000_000, maxOutputTokens: 32_768, unverifiedFigures: MAX_OUTPUT_UNVERIFIED, limits: { rpm: 1_200, tpm: 5_000_000 }, price: { input: 0.15, output: 1.5 }, unverified: true }),
  chat({ id: 'qwen-plus', description: 'Balanced Qwen; hybrid thinking', thinking: 'optional', thinkingStreamOnly: true, maxThinkingBudget: 38_912, jsonMode: true, tools: true, contextTokens: 131_072, maxOutputTokens: 32_768, unverifiedFigures: MAX_OUTPUT_UNVERIFIED, limits: { rpm: 30_000, tpm: 5_000_000 }, price: { input: 0.8, output: 2.0 } }),
  chat({ id: 'qwen-max', description: 'Strongest Qwen 2.5 model, no thinking', thinking: 'none', thinkingStreamOnly: false, jsonMode: true, tools: true, contextTokens: 32_768, maxOutputTokens: 8_192, unverifiedFigures: MAX_OUTPUT_UNVERIFIED, limits: { rpm: 1_200, tpm: 1_000_000 }, price: { input: 2.4, output: 9.6 } }),
  // price per specs/dashscope-api.md, not the seed article: 2.5/10 at ≤32K
  chat({ id: 'qwen3-max', description: 'Flagship Qwen3; thinking also answers without streaming', thinking: 'optional', thinkingStreamOnly: false, maxThinkingBudget: 81_920, jsonMode: true, tools: true, contextTokens: 262_144, maxOutputTokens: 65_536, unverifiedFigures: MAX_OUTPUT_UNVERIFIED, limits: { rpm: 30_000, tpm: 5_000_000 }, price: { input: 2.5, output: 10, tiers: QWEN3_MAX_TIERS } }),
  chat({ id: 'qwen3-coder-plus', description: 'Qwen3 coder; tools, no thinking', thinking: 'none', thinkingStreamOnly: false, jsonMode: true, tools: true, contextTokens: 1_000_000, maxOutputTokens: 65_536, unverifiedFigures: MAX_OUTPUT_UNVERIFIED, limits: { rpm: 5_000, tpm: 5_000_000 }, price: { input: 4, output: 16 }, unverified: true }),
  chat({ id: 'qwen-turbo-longcontext', description: 'Long-context turbo named by the seed article (not a current DashScope id)', thinking: 'none', thinkingStreamOnly: false, jsonMode: true, tools: false, contextTokens: 1_000_000, maxOutputTokens: 8_192, unverifiedFigures: MAX_OUTPUT_UNVERIFIED, limits: { rpm: 1_200, tpm: 5_000_000 }, price: { input: 0.6, output: 2.0 }, unverified: true }),
  chat({ id: 'qwen3-32b', description: 'Open-source Qwen3; thinks by default, thinking is stream-only', thinking: 'default-on', thinkingStreamOnly: true, maxThinkingBudget: 38_912, jsonMode: true, tools: true, contextTokens: 131_072, maxOutputTokens: 16_384, unverifiedFigures: MAX_OUTPUT_UNVERIFIED, limits: { rpm: 600, tpm: 1_000_000 }, price: { input: 2, output: 8 }, unverified: true }),
  chat({ id: 'qwen3-235b-a22b-thinking-2507', description: 'Thinking-only Qwen3; stream-only', thinking: 'always', thinkingStreamOnly: true, maxThinkingBudget: 81_920, jsonMode: false, tools: true, contextTokens: 131_072, maxOutputTokens: 32_768, unverifiedFigures: MAX_OUTPUT_UNVERIFIED, limits: { rpm: 600, tpm: 1_000_000 }, price: { input: 2, output: 20 }, unverified: true }),
  // per specs/dashscope-api.md, not the seed article: 10 texts per request, 8,192 tokens per text, 0.5/M
  { id: 'text-embedding-v3', kind: 'embedding', description: 'Text embeddings v3', dimensions: [1024, 768, 512], defaultDimensions: 1024, maxBatch: 10, maxTokensPerText: 8_192, limits: { rpm: 1_800, tpm: 1_200_000 }, price: { input: 0.5 } },
  { id: 'text-embedding-v4', kind: 'embedding', description: 'Text embeddings v4', dimensions: [2048, 1536, 1024, 768, 512, 256, 128, 64], defaultDimensions: 1024, maxBatch: 10, maxTokensPerText: 8_192, limits: { rpm: 1_800, tpm: 1_200_000 }, price: { input: 0.5 } },
  { id: 'wanx2.1-t2i-turbo', kind: 'text-to-image', description: 'Wanxiang 2.1 text-to-image, fast', maxImages: 4, limits: { submitsPerSecond: 2, concurrentTasks: 2 }, price: { perImage: 0.14 } },
  { id: 'wanx2.1-t2i-plus', kind: 'text-to-image', description: 'Wanxiang 2.1 text-to-image, detailed', maxImages: 4, limits: { submitsPerSecond: 2, concurrentTasks: 2 }, price: { perImage: 0.2 } },
  { id: 'wan2.2-t2i-flash', kind: 'text-to-image', description: 'Wan 2.2 text-to-image, fast', maxImages: 4, limits: { submitsPerSecond: 2, concurrentTasks: 2 }, price: { perImage: 0.14 } },
  { id: 'wan2.2-t2i-plus', kind: 'text-to-image', description: 'Wan 2.2 text-to-image', maxImages: 4, limits: { submitsPerSecond: 2, concurrentTasks: 2 }, price: { perImage: 0.2 } },
  { id: 'wan2.5-t2v-preview', kind: 'text-to-video', description: 'Wan 2.5 text-to-video with sound', durations: [5, 10], defaultDuration: 5, sizes: [...T2V_SIZES_480, ...T2V_SIZES_720, ...T2V_SIZES_1080], defaultSize: '1920*1080', limits: { submitsPerSecond: 5, concurrentTasks: 5 }, price: { perSecond: { '480P': 0.3, '720P': 0.6, '1080P': 1.0 } } },
  { id: 'wan2.2-t2v-plus', kind: 'text-to-video', description: 'Wan 2.2 text-to-video', durations: [5], defaultDuration: 5, sizes: [...T2V_SIZES_480, ...T2V_SIZES_1080], defaultSize: '1920*1080', limits: { submitsPerSecond: 2, concurrentTasks: 2 }, price: { perSecond: { '480P': 0.14, '1080P': 0.7 } } },
  { id: 'wanx2.1-t2v-turbo', kind: 'text-to-video', description: 'Wanxiang 2.1 text-to-video, fast', durations: [5], defaultDuration: 5, sizes: [...T2V_SIZES_480, ...T2V_SIZES_720], defaultSize: '1280*720', limits: { submitsPerSecond: 2, concurrentTasks: 2 }, price: { perSecond: { '480P': 0.24, '720P': 0.24 } } },
  { id: 'wan2.5-i2v-preview', kind: 'image-to-video', description: 'Wan 2.5 image-to-video with sound', durations: [5, 10], defaultDuration: 5, sizes: ['480P', '720P', '1080P'], defaultSize: '1080P', limits: { submitsPerSecond: 5, concurrentTasks: 5 }, price: { perSecond: { '480P': 0.3, '720P': 0.6, '1080P': 1.0 } } },
  { id: 'wan2.2-i2v-plus', kind: 'image-to-video', description: 'Wan 2.2 image-to-video', durations: [5], defaultDuration: 5, sizes: ['480P', '1080P'], defaultSize: '1080P', limits: { submitsPerSecond: 2, concurrentTasks: 2 }, price: { perSecond: { '480P': 0.14, '1080P': 0.7 } }, unverified: true },
  { id: 'qwen3-tts-flash', kind: 'text-to-speech', description: 'Qwen3 text-to-speech, 24 kHz WAV', maxCharacters: 600, voices: QWEN3_TTS_VOICES, languages: TTS_LANGUAGES, limits: { rpm: 180 }, price: { per10kCharacters: 0.8 } },
];

const BY_ID = new Map(MODELS.map((m) => [m.id, m]));

export class UnknownModelError extends Error {
  override readonly name = 'UnknownModelError';
  readonly code = 'model_not_found';
  constructor(
    readonly modelId: string,
    readonly known: string[],
  ) {
    super(`unknown model '${clip(modelId)}'; known ${known.length ? 'models' : ''}: ${known.join(', ')}`);
  }
}

export class WrongModelKindError extends Error {
  override readonly name = 'WrongModelKindError';
  readonly code = 'invalid_model';
  constructor(modelId: string, expected: ModelKind[], known: string[]) {
    super(`model '${clip(modelId)}' cannot do ${expected.join(' or ')}; use one of: ${known.join(', ')}`);
  }
}

export function findModel(id: string): Model | undefined {
  return BY_ID.get(id);
}

export function modelsOfKind<K extends ModelKind>(kind: K): Extract<Model, { kind: K }>[] {
  return MODELS.filter((m): m is Extract<Model, { kind: K }> => m.kind === kind);
}

/** The model with this id and one of these kinds, or a typed error naming the ones that would fit. */
export function requireModel<K extends ModelKind>(id: string, ...kinds: K[]): Extract<Model, { kind: K }> {
  const m = BY_ID.get(id);
  if (m && (kinds.length === 0 || (kinds as ModelKind[]).includes(m.kind))) return m as Extract<Model, { kind: K }>;
  const fitting = (kinds.length ? MODELS.filter((x) => (kinds as ModelKind[]).includes(x.kind)) : MODELS).map((x) => x.id);
  if (!m) throw new UnknownModelError(id, fitting);
  throw new WrongModelKindError(id, kinds, fitting);
}
