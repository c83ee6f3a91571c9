// The speech upstream: Qwen TTS (native multimodal-generation), answered at once with a WAV URL that expires, or
// streamed as PCM chunks. Calls fail with shared/dashscope/errors.ts's typed errors.
import type { CallOptions } from './upstream-call.ts';

export interface SpeechBody {
  model: string;
  /** `voice` exactly as DashScope names it (case-sensitive upstream). */
  input: { text: string; voice: string; language_type?: string };
}

export interface SynthesizedSpeech {
  /** The whole WAV (24 kHz, 16-bit mono), for 24 hours. */
  url: string;
  /** When the URL stops working (unix seconds), if DashScope said. */
  expiresAt?: number;
  /** Billed characters (`usage.characters`), if DashScope said. */
  characters?: number;
  requestId: string;
}

export interface SpeechChunk {
  /** Raw PCM (24 kHz, 16-bit little-endian mono); empty on the last chunk. */
  pcm: Buffer;
  /** `usage.characters` as this chunk reported it (DashScope repeats it on every chunk). */
  characters?: number;
  /** The last chunk (`finish_reason: "stop"`). */
  done: boolean;
}

export interface SpeechStream {
  requestId: string;
  /** The chunks as DashScope sends them; stopping early (break, the caller's abort) cancels the request. */
  chunks: AsyncIterable<SpeechChunk>;
}

export interface SpeechUpstream {
  /**
   * One synthesis, answered when it is done. Billed by DashScope, so never re-sent once it may have reached
   * it: an unknown outcome is a DashScopeAmbiguousError.
   */
  synthesizeSpeech(body: SpeechBody, opts?: CallOptions): Promise<SynthesizedSpeech>;
  /** One synthesis streamed (native SSE): resolves once the response head arrived. */
  streamSpeech(body: SpeechBody, opts?: CallOptions): Promise<SpeechStream>;
}
