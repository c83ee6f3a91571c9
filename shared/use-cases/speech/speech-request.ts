// The body of POST /v1/audio/speech (OpenAI's shape), checked into what Qwen TTS is sent: the model (OpenAI's
// speech model ids mean qwen3-tts-flash), the voice (Qwen's in any case, or OpenAI's mapped), wav or pcm.
import { z } from 'zod';
import { findModel, modelsOfKind, type SpeechModel } from '../../catalog/catalog.ts';
import { speechCharacters } from '../../catalog/pricing.ts';
import { findLanguage, findVoiceOrOpenAi, OPENAI_VOICE_MAP } from '../../catalog/voices.ts';
import { clip } from '../../text/clip.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { validate } from '../../validation/validate.ts';

/** OpenAI's speech models, served by this one. */
export const OPENAI_SPEECH_MODELS: Readonly<Record<string, string>> = { 'tts-1': 'qwen3-tts-flash', 'tts-1-hd': 'qwen3-tts-flash', 'gpt-4o-mini-tts': 'qwen3-tts-flash' };
export const SPEECH_FORMATS = ['wav', 'pcm'] as const;
export type SpeechFormat = (typeof SPEECH_FORMATS)[number];
/** OpenAI's own bound on `input`, checked before anything is counted. */
const INPUT_MAX_CHARS = 4_096;

const bodySchema = z.strictObject({
  model: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  input: z.string().max(INPUT_MAX_CHARS, `must be at most ${INPUT_MAX_CHARS} characters`),
  // a name, or OpenAI's custom-voice object whose id names one
  voice: z.union([z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'), z.strictObject({ id: z.string().min(1).max(64) })]),
  response_format: z.string().max(32).optional(),
  stream_format: z.string().max(32).optional(),
  speed: z.number().optional(),
  instructions: z.string().max(INPUT_MAX_CHARS).optional(),
  /** Qwen's own: the language of the text (default Auto). */
  language_type: z.string().max(32).optional(),
});

export interface SpeechRequest {
  model: SpeechModel;
  text: string;
  /** Exactly as DashScope names it. */
  voice: string;
  language?: string;
  format: SpeechFormat;
  /** Billed characters of the text (a CJK character counts 2). */
  characters: number;
}

const bad = (code: string, message: string, param: string) => new InvalidRequestError(code, message, param);

/** Validates a speech request (parsed JSON); throws InvalidRequestError naming the field at fault. */
export function parseSpeechRequest(raw: unknown): SpeechRequest {
  const body = validate(bodySchema, raw);
  const speechModels = modelsOfKind('text-to-speech');
  const found = findModel(OPENAI_SPEECH_MODELS[body.model] ?? body.model);
  if (!found || found.kind !== 'text-to-speech') {
    const known = [...speechModels.map((m) => m.id), ...Object.keys(OPENAI_SPEECH_MODELS)].join(', ');
    throw bad('model_not_found', `model '${clip(body.model)}' cannot speak; use one of: ${known}`, 'model');
  }
  const model = found;
  const format = body.response_format ?? 'wav';
  if (!(SPEECH_FORMATS as readonly string[]).includes(format)) {
    throw bad('unsupported_response_format', `response_format '${clip(format)}' is not available; use one of: ${SPEECH_FORMATS.join(', ')} (24 kHz 16-bit mono)`, 'response_format');
  }
  if (body.stream_format !== undefined && body.stream_format !== 'audio') {
    throw bad('unsupported_stream_format', `stream_format '${clip(body.stream_format)}' is not available; the audio itself is streamed (stream_format 'audio')`, 'stream_format');
  }
  if (body.speed !== undefined && body.speed !== 1) throw bad('unsupported_parameter', `speed: ${model.id} speaks at one speed; send 1 or leave it out`, 'speed');
  if (body.instructions !== undefined && body.instructions.trim() !== '') {
    throw bad('unsupported_parameter', `instructions: ${model.id} takes no speaking instructions; leave it out`, 'instructions');
  }
  const voiceName = typeof body.voice === 'string' ? body.voice : body.voice.id;
  const voice = findVoiceOrOpenAi(model, voiceName);
  if (!voice) {
    throw bad('unknown_voice', `voice '${clip(voiceName)}' is not a voice of ${model.id}; use one of: ${model.voices.join(', ')} (or OpenAI's ${Object.keys(OPENAI_VOICE_MAP).join(', ')})`, 'voice');
  }
  const language = body.language_type === undefined ? undefined : findLanguage(model, body.language_type);
  if (body.language_type !== undefined && !language) {
    throw bad('invalid_request', `language_type '${clip(body.language_type)}' is not supported by ${model.id}; use one of: ${model.languages.join(', ')}`, 'language_type');
  }
  if (body.input.trim() === '') throw bad('empty_input', 'input: there is nothing to speak (empty or only whitespace)', 'input');
  const characters = speechCharacters(body.input);
  if (characters > model.maxCharacters) {
    throw bad(
      'input_too_long',
      `input: ${characters} characters (a CJK character counts 2); ${model.id} speaks at most ${model.maxCharacters} per request. Longer texts: POST /v1/tasks with type text-to-speech`,
      'input',
    );
  }
  return { model, text: body.input, voice, format: format as SpeechFormat, characters, ...(language ? { language } : {}) };
}
