// What an app may ask for in `POST /v1/tasks`: a strict zod schema per task type, then the catalogue checks
// that depend on the model; anything else is a 400 naming the field, before any row or DashScope call.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { findModel, MODEL_ID_MAX_CHARS, modelsOfKind } from '../../catalog/catalog.ts';
import { speechCharacters } from '../../catalog/pricing.ts';
import { DEFAULT_VOICE, findLanguage, findVoice } from '../../catalog/voices.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { describeIssues } from '../../validation/validate.ts';
import { clip } from '../../text/clip.ts';

export const SUBMITTABLE_TYPES = ['text-to-image', 'text-to-video', 'image-to-video', 'text-to-speech'] as const;
export type SubmittableType = (typeof SUBMITTABLE_TYPES)[number];

export const DEFAULT_MODELS: Readonly<Record<SubmittableType, string>> = {
  'text-to-image': 'wanx2.1-t2i-turbo',
  'text-to-video': 'wan2.5-t2v-preview',
  'image-to-video': 'wan2.5-i2v-preview',
  'text-to-speech': 'qwen3-tts-flash',
};

/**
 * The longest text a speech task takes, in billed characters (a CJK character counts 2): split into parts the
 * model accepts, that is some 34 syntheses of qwen3-tts-flash, about an hour of audio.
 */
export const SPEECH_TASK_MAX_CHARACTERS = 20_000;

/** The validated request: `input` and `parameters` exactly as DashScope will receive them (defaults filled). */
export interface TaskRequest {
  /** A media type from `POST /v1/tasks`, or a `fine-tune` from `POST /v1/fine-tunes`. */
  type: SubmittableType | 'fine-tune';
  model: string;
  input: Record<string, unknown>;
  parameters: Record<string, unknown>;
  metadata?: Record<string, string>;
}

const IMAGE_SIDE = { min: 512, max: 1440 };
/** Table Store keeps an attribute ≤ 2 MB: an inline image must leave room for the rest of the row. */
export const MAX_INLINE_IMAGE_CHARS = 1_500_000;
export const TASK_MAX_BODY_BYTES = 2 * 1024 * 1024;

const prompt = z.string().trim().min(1, 'must not be empty').max(2_000, 'must be at most 2000 characters');
const negativePrompt = z.string().max(500, 'must be at most 500 characters');
const seed = z.number().int().min(0).max(2_147_483_647);
const model = z.string().min(1).max(MODEL_ID_MAX_CHARS, `must be at most ${MODEL_ID_MAX_CHARS} characters`).optional();
const metadata = z
  .record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'metadata keys are 1-64 characters of A-Z a-z 0-9 _ . -'), z.string().max(512))
  .refine((m) => Object.keys(m).length <= 16, 'at most 16 metadata entries')
  .optional();
const imageUrl = z
  .string()
  .max(MAX_INLINE_IMAGE_CHARS, `must be at most ${MAX_INLINE_IMAGE_CHARS} characters (upload large images and pass a URL)`)
  .refine(
    (s) => /^https?:\/\/[^\s]+$/i.test(s) || /^data:image\/(png|jpe?g|webp|bmp);base64,[A-Za-z0-9+/]+=*$/i.test(s),
    'must be an http(s) URL or a data:image/...;base64 URI',
  );

const textToImage = z.strictObject({
  type: z.literal('text-to-image'),
  model,
  input: z.strictObject({ prompt, negative_prompt: negativePrompt.optional() }),
  parameters: z
    .strictObject({
      size: z.string().regex(/^\d{3,4}\*\d{3,4}$/, "must be 'W*H' in pixels, e.g. '1024*1024'").optional(),
      n: z.number().int().min(1).optional(),
      seed: seed.optional(),
      prompt_extend: z.boolean().optional(),
      watermark: z.boolean().optional(),
    })
    .optional(),
  metadata,
});

const videoParameters = {
  duration: z.number().int().positive().optional(),
  seed: seed.optional(),
  prompt_extend: z.boolean().optional(),
  watermark: z.boolean().optional(),
};

const textToVideo = z.strictObject({
  type: z.literal('text-to-video'),
  model,
  input: z.strictObject({ prompt, negative_prompt: negativePrompt.optional() }),
  parameters: z.strictObject({ size: z.string().optional(), ...videoParameters }).optional(),
  metadata,
});

const imageToVideo = z.strictObject({
  type: z.literal('image-to-video'),
  model,
  input: z.strictObject({ img_url: imageUrl, prompt: prompt.optional(), negative_prompt: negativePrompt.optional() }),
  parameters: z.strictObject({ resolution: z.string().optional(), ...videoParameters }).optional(),
  metadata,
});

const textToSpeech = z.strictObject({
  type: z.literal('text-to-speech'),
  model,
  input: z.strictObject({
    // a first bound on the raw length; the billed characters are checked after
    text: z.string().max(SPEECH_TASK_MAX_CHARACTERS, `must be at most ${SPEECH_TASK_MAX_CHARACTERS} characters`),
    voice: z.string().max(64, 'must be at most 64 characters').optional(),
    language_type: z.string().max(32, 'must be at most 32 characters').optional(),
  }),
  parameters: z.strictObject({}).optional(),
  metadata,
});

const SCHEMAS = { 'text-to-image': textToImage, 'text-to-video': textToVideo, 'image-to-video': imageToVideo, 'text-to-speech': textToSpeech } as const;

function bad(code: string, message: string, param?: string): InvalidRequestError {
  return new InvalidRequestError(code, message, param);
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const { message, param } = describeIssues(r.error);
  throw bad('invalid_request', message, param);
}

function resolveModel(type: SubmittableType, id: string) {
  const fitting = modelsOfKind(type).map((m) => m.id).join(', ');
  const m = findModel(id);
  if (!m) throw bad('model_not_found', `unknown model '${clip(id)}'; for ${type} use one of: ${fitting}`, 'model');
  if (m.kind !== type) throw bad('invalid_model', `model '${clip(id)}' cannot do ${type}; use one of: ${fitting}`, 'model');
  return m;
}

function oneOf<T>(value: T, allowed: readonly T[], param: string): T {
  if (!allowed.includes(value)) throw bad('invalid_request', `${param}: ${clip(String(value))} is not supported by this model; use one of: ${allowed.join(', ')}`, param);
  return value;
}

/** Validates an app's task request (already parsed JSON) into what DashScope will be sent; throws InvalidRequestError. */
export function parseTaskRequest(body: unknown): TaskRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('invalid_request', 'body: expected a JSON object');
  const type = (body as { type?: unknown }).type;
  if (typeof type !== 'string' || !(SUBMITTABLE_TYPES as readonly string[]).includes(type)) {
    throw bad('invalid_type', `type: must be one of ${SUBMITTABLE_TYPES.join(', ')}`, 'type');
  }
  const t = type as SubmittableType;
  const req = parseWith(SCHEMAS[t] as z.ZodType<z.infer<(typeof SCHEMAS)[typeof t]>>, body);
  const m = resolveModel(t, req.model ?? DEFAULT_MODELS[t]);
  const meta = req.metadata && Object.keys(req.metadata).length ? { metadata: req.metadata } : {};

  if (req.type === 'text-to-image' && m.kind === 'text-to-image') {
    const p = req.parameters ?? {};
    const size = p.size ?? '1024*1024';
    const [w, h] = size.split('*').map(Number) as [number, number];
    if ([w, h].some((s) => s < IMAGE_SIDE.min || s > IMAGE_SIDE.max)) {
      throw bad('invalid_request', `parameters.size: each side must be between ${IMAGE_SIDE.min} and ${IMAGE_SIDE.max} pixels`, 'parameters.size');
    }
    const n = p.n ?? 1;
    if (n > m.maxImages) throw bad('invalid_request', `parameters.n: at most ${m.maxImages} images per task for ${m.id}`, 'parameters.n');
    return { type: t, model: m.id, input: { ...req.input }, parameters: { ...p, size, n }, ...meta };
  }
  if ((req.type === 'text-to-video' || req.type === 'image-to-video') && (m.kind === 'text-to-video' || m.kind === 'image-to-video')) {
    const p = req.parameters ?? {};
    const duration = oneOf(p.duration ?? m.defaultDuration, m.durations, 'parameters.duration');
    const sizeKey = req.type === 'text-to-video' ? 'size' : 'resolution';
    const given = 'size' in p ? p.size : 'resolution' in p ? p.resolution : undefined;
    const size = oneOf(given ?? m.defaultSize, m.sizes, `parameters.${sizeKey}`);
    return { type: t, model: m.id, input: { ...req.input }, parameters: { ...p, [sizeKey]: size, duration }, ...meta };
  }
  if (req.type === 'text-to-speech' && m.kind === 'text-to-speech') {
    const { text } = req.input;
    if (text.trim() === '') throw bad('empty_text', 'input.text: there is nothing to speak (empty or only whitespace)', 'input.text');
    const billed = speechCharacters(text);
    if (billed > SPEECH_TASK_MAX_CHARACTERS) {
      throw bad('text_too_long', `input.text: ${billed} characters (a CJK character counts 2); a speech task takes at most ${SPEECH_TASK_MAX_CHARACTERS}`, 'input.text');
    }
    const voice = findVoice(m, req.input.voice ?? DEFAULT_VOICE);
    if (!voice) throw bad('unknown_voice', `input.voice: ${clip(req.input.voice ?? '')} is not a voice of ${m.id}; use one of: ${m.voices.join(', ')}`, 'input.voice');
    const language = req.input.language_type === undefined ? undefined : findLanguage(m, req.input.language_type);
    if (req.input.language_type !== undefined && !language) {
      throw bad('invalid_request', `input.language_type: ${clip(req.input.language_type)} is not supported by ${m.id}; use one of: ${m.languages.join(', ')}`, 'input.language_type');
    }
    return { type: t, model: m.id, input: { text, voice, ...(language ? { language_type: language } : {}) }, parameters: {}, ...meta };
  }
  throw bad('invalid_request', `type ${t} does not match model ${m.id}`, 'model');
}

/** DashScope's create endpoint for a task type. */
export function createEndpoint(type: Exclude<SubmittableType, 'text-to-speech'>): 'text2image' | 'video-synthesis' {
  return type === 'text-to-image' ? 'text2image' : 'video-synthesis';
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** A stable hash of the validated request: the same request under one Idempotency-Key hashes the same. */
export function requestHash(req: TaskRequest): string {
  return createHash('sha256').update(JSON.stringify(canonical(req))).digest('hex');
}
