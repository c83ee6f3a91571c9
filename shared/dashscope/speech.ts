// Qwen TTS (qwen3-tts-flash, qwen-tts) on the native multimodal-generation service: one call answering with an
// expiring WAV URL, or a native SSE stream of base64 PCM chunks whose last chunk may carry the WAV URL.
import { z } from 'zod';
import type { CallOptions } from './call-options.ts';
import { DashScopeResponseError, DashScopeStreamError } from './errors.ts';
import { readEvents, streamErrorOf } from './event-stream.ts';
import type { NativeTransport } from './native-http.ts';

export const SPEECH_PATH = '/api/v1/services/aigc/multimodal-generation/generation';

export interface SpeechBody {
  model: string;
  input: { text: string; voice: string; language_type?: string; [k: string]: unknown };
  parameters?: Record<string, unknown>;
}

const usageSchema = z.record(z.string(), z.unknown());

const speechResponseSchema = z.looseObject({
  request_id: z.string().nullish(),
  output: z.looseObject({
    // the stream sends the string "null" until the last chunk
    finish_reason: z.string().nullish(),
    audio: z.looseObject({
      url: z.string().nullish(),
      expires_at: z.number().nullish(),
      data: z.string().nullish(),
      id: z.string().nullish(),
    }),
  }),
  usage: usageSchema.nullish(),
});

export interface SpeechResult {
  requestId: string;
  /** The WAV (24 kHz); expires (24 h). */
  url: string;
  /** Unix seconds. */
  expiresAt?: number;
  finishReason: string;
  usage: Record<string, unknown>;
}

export interface SpeechChunk {
  /** PCM bytes of this chunk (empty on the last one). */
  audio: Buffer;
  finishReason: string;
  url?: string;
  expiresAt?: number;
  usage: Record<string, unknown>;
  requestId: string;
}

export class SpeechApi {
  constructor(private readonly http: NativeTransport) {}

  async synthesizeSpeech(body: SpeechBody, opts: CallOptions = {}): Promise<SpeechResult> {
    const { data, requestId } = await this.http.json({ operation: 'synthesizeSpeech', method: 'POST', path: SPEECH_PATH, json: body }, speechResponseSchema, opts);
    const audio = data.output.audio;
    if (!audio.url) throw new DashScopeResponseError('DashScope answered a speech request without an audio URL', { status: 200, requestId });
    return {
      requestId,
      url: audio.url,
      ...(typeof audio.expires_at === 'number' ? { expiresAt: audio.expires_at } : {}),
      finishReason: data.output.finish_reason ?? 'stop',
      usage: data.usage ?? {},
    };
  }

  /** Opens the stream on the first iteration; retries only until DashScope's response headers arrive. */
  async *synthesizeSpeechStream(body: SpeechBody, opts: CallOptions = {}): AsyncGenerator<SpeechChunk, void, undefined> {
    const open = await this.http.stream({ operation: 'synthesizeSpeechStream', method: 'POST', path: SPEECH_PATH, json: body }, opts);
    const requestId = open.requestId;
    for await (const event of readEvents(open.body, open.deadline, requestId)) {
      let value: unknown;
      try {
        value = JSON.parse(event.data);
      } catch (err) {
        throw new DashScopeStreamError('invalid_chunk', 'DashScope sent a speech chunk that is not JSON', { requestId, cause: err });
      }
      const failure = streamErrorOf(event, value, requestId);
      if (failure) throw failure;
      const chunk = speechResponseSchema.safeParse(value);
      if (!chunk.success) throw new DashScopeStreamError('invalid_chunk', 'DashScope sent a speech chunk of unexpected shape', { requestId });
      const audio = chunk.data.output.audio;
      yield {
        audio: Buffer.from(audio.data ?? '', 'base64'),
        finishReason: chunk.data.output.finish_reason ?? 'null',
        ...(audio.url ? { url: audio.url } : {}),
        ...(typeof audio.expires_at === 'number' ? { expiresAt: audio.expires_at } : {}),
        usage: chunk.data.usage ?? {},
        requestId: chunk.data.request_id ?? requestId,
      };
    }
  }
}
