// Qwen TTS (`POST /api/v1/services/aigc/multimodal-generation/generation`, qwen3-tts-flash): a WAV result
// URL, or with `X-DashScope-SSE: enable` native SSE frames of base64 24 kHz PCM until the one that says stop.
import { z } from 'zod';
import { findModel, type SpeechModel } from '../../shared/catalog/catalog.ts';
import { describeZodIssue } from './chat-rules.ts';
import { endStream, pause, sendJson, startEventStream, writeChunk, type RequestContext } from './context.ts';
import type { EmulatorEnv } from './env.ts';
import { ApiError, invalidParameter, modelNotFoundMessage } from './errors.ts';
import { audioPath } from './media.ts';
import { pcmRange, samplesForText } from './wav.ts';

const bodySchema = z.looseObject({
  model: z.string().min(1),
  input: z.looseObject({ text: z.string(), voice: z.string().optional(), language_type: z.string().optional() }),
});

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
/** 0.2 s of audio per SSE frame. */
const FRAME_SAMPLES = 4_800;

/** Billed characters: each CJK character counts as 2. */
export function billedCharacters(text: string): number {
  let n = 0;
  for (const ch of text) n += CJK.test(ch) ? 2 : 1;
  return n;
}

function validate(ctx: RequestContext): { model: SpeechModel; text: string; voice: string } {
  const parsed = bodySchema.safeParse(ctx.body);
  if (!parsed.success) throw invalidParameter(describeZodIssue(parsed.error).message);
  const b = parsed.data;
  ctx.entry.model = b.model;
  const model = findModel(b.model);
  if (!model) throw new ApiError('modelNotFound', modelNotFoundMessage(b.model));
  if (model.kind !== 'text-to-speech') throw invalidParameter(`Model ${b.model} is not a speech model.`);
  const text = b.input.text;
  const length = [...text].length;
  if (length === 0 || length > model.maxCharacters) {
    throw invalidParameter(`Range of input.text length should be [1, ${model.maxCharacters}]`, 'input.text');
  }
  const voice = b.input.voice ?? 'Cherry';
  if (!model.voices.includes(voice)) {
    const list = model.voices.map((v) => `'${v}'`);
    throw invalidParameter(`Input should be ${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}: parameters.audio.voice`, 'input.voice');
  }
  if (b.input.language_type !== undefined && !model.languages.includes(b.input.language_type)) {
    throw invalidParameter(`Input should be one of ${model.languages.join(', ')}: input.language_type`, 'input.language_type');
  }
  return { model, text, voice };
}

export async function handleTts(ctx: RequestContext, env: EmulatorEnv): Promise<void> {
  const { model, text, voice } = validate(ctx);
  env.limits.admit(model);
  const characters = billedCharacters(text);
  const samples = samplesForText([...text].length);
  const seed = `${voice}-${ctx.requestId}`;
  const expiresMs = env.clock.nowMs() + env.options.resultTtlMs;
  const url = env.results.url(env.origin(), audioPath(samples, seed), expiresMs);
  const expiresAt = Math.floor(expiresMs / 1000);
  const audioId = `audio_${ctx.requestId}`;
  if (!ctx.nativeSse) {
    sendJson(ctx, 200, {
      output: { finish_reason: 'stop', audio: { url, expires_at: expiresAt, data: '', id: audioId } },
      usage: { characters },
      request_id: ctx.requestId,
    });
    return;
  }
  startEventStream(ctx);
  let id = 0;
  const frame = (output: Record<string, unknown>) =>
    `id:${++id}\nevent:result\n:HTTP_STATUS/200\ndata:${JSON.stringify({ output, usage: { characters }, request_id: ctx.requestId })}\n\n`;
  for (let at = 0; at < samples; at += FRAME_SAMPLES) {
    if (at > 0 && !(await pause(ctx, env.options.chunkDelayMs))) return;
    const data = pcmRange(seed, at, Math.min(FRAME_SAMPLES, samples - at)).toString('base64');
    if (!(await writeChunk(ctx, frame({ finish_reason: 'null', audio: { data, expires_at: 0, id: audioId, url: '' } })))) return;
  }
  if (await writeChunk(ctx, frame({ finish_reason: 'stop', audio: { data: '', expires_at: expiresAt, id: audioId, url } }))) endStream(ctx);
}
