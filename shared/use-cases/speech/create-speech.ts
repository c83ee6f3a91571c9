// The speech use case behind POST /v1/audio/speech: one Qwen TTS synthesis streamed to the client as its
// chunks arrive (a WAV header of unknown length first, or raw PCM), admitted and billed by the guards.
import { estimateSpeechCost, speechCostOfCharacters } from '../../catalog/pricing.ts';
import { QWEN_TTS_PCM, wavHeader } from '../../audio/wav.ts';
import type { Principal } from '../../domain/tenant.ts';
import type { Logger } from '../../log/logger.ts';
import type { Config } from '../../config/config.ts';
import type { IdGenerator } from '../../ports/clock.ts';
import type { SpeechChunk, SpeechUpstream } from '../../ports/speech-upstream.ts';
import type { CallerSignal } from '../../streams/cancellation.ts';
import { settleAfterAnswer, type Admission, type Guard } from '../guards/guard.ts';
import { isAbort, toUpstreamError } from '../chat/upstream-error.ts';
import type { SpeechRequest } from './speech-request.ts';

export interface SpeechDeps {
  config: Pick<Config, 'DASHSCOPE_TIMEOUT_MS' | 'DASHSCOPE_MAX_RETRIES'>;
  logger: Logger;
  ids: IdGenerator;
  speech: SpeechUpstream;
  guard: Guard;
}

/** Where the audio goes: opened once the synthesis started (before that, a failure is an ordinary error answer). */
export interface AudioSink {
  open(contentType: string, headers: Record<string, string>): void;
  /** Resolves when the client can take more (backpressure). */
  write(bytes: Buffer): Promise<void>;
  end(): void;
}

export interface SpeechContext {
  principal: Principal;
  requestId: string;
  /** Fires when the client goes away: the synthesis upstream is cancelled. */
  signal: CallerSignal;
  sink: AudioSink;
}

export interface SpeechOutcome {
  dashscopeRequestId: string;
  /** Billed characters (DashScope's count, else the text's). */
  characters: number;
  audioBytes: number;
  chunks: number;
}

export const CONTENT_TYPES = { wav: 'audio/wav', pcm: 'audio/pcm' } as const;

export async function createSpeech(deps: SpeechDeps, req: SpeechRequest, ctx: SpeechContext): Promise<SpeechOutcome> {
  const admission = await deps.guard.admit({
    principal: ctx.principal,
    model: req.model,
    ref: `speech:${deps.ids.next('call')}`,
    upstreamRequests: 1,
    tokens: 0,
    costMicros: estimateSpeechCost(req.model, req.text).micros,
    holdMs: deps.config.DASHSCOPE_TIMEOUT_MS * (deps.config.DASHSCOPE_MAX_RETRIES + 1) + 60_000,
    signal: ctx.signal,
  });
  let requestId = '';
  let reported: number | undefined;
  let started = false;
  const outcome: SpeechOutcome = { dashscopeRequestId: '', characters: req.characters, audioBytes: 0, chunks: 0 };
  const relay = async (chunks: AsyncIterator<SpeechChunk, void, undefined>) => {
    let next = await chunks.next();
    started = true;
    ctx.sink.open(CONTENT_TYPES[req.format], requestId ? { 'x-dashscope-request-id': requestId } : {});
    // the length is not known until the end: the header says "to the end of the stream"
    if (req.format === 'wav') await ctx.sink.write(wavHeader(QWEN_TTS_PCM));
    for (; !next.done; next = await chunks.next()) {
      const chunk = next.value;
      if (chunk.characters !== undefined) reported = chunk.characters;
      if (chunk.pcm.length === 0) continue;
      outcome.chunks++;
      outcome.audioBytes += chunk.pcm.length;
      await ctx.sink.write(chunk.pcm);
    }
    ctx.sink.end();
  };
  try {
    const stream = await deps.speech.streamSpeech(
      { model: req.model.id, input: { text: req.text, voice: req.voice, ...(req.language ? { language_type: req.language } : {}) } },
      { signal: ctx.signal },
    );
    requestId = stream.requestId;
    // the first frame is read before the answer's head goes out: DashScope may refuse in it (its HTTP status was
    // 200), and the client then gets that error as JSON, not a cut audio stream; nothing was synthesised to bill
    const chunks = stream.chunks[Symbol.asyncIterator]();
    try {
      await relay(chunks);
    } finally {
      // leaving early (the client went away, a write failed) cancels the request, as a for-await would
      await chunks.return?.();
    }
  } catch (e) {

    // a synthesis that started is billed by DashScope whether or not its audio reached the client
    settleAfterAnswer(() => bill(deps, admission, req, started ? (reported ?? req.characters) : undefined, requestId));
    if (isAbort(e, ctx.signal)) throw e;
    throw toUpstreamError(e);
  }
  outcome.dashscopeRequestId = requestId;
  outcome.characters = reported ?? req.characters;
  settleAfterAnswer(() => bill(deps, admission, req, outcome.characters, requestId));
  return outcome;
}

async function bill(deps: Pick<SpeechDeps, 'logger'>, admission: Admission, req: SpeechRequest, characters: number | undefined, requestId: string): Promise<void> {
  try {
    if (characters === undefined) return await admission.release();
    const c = speechCostOfCharacters(req.model, characters);
    await admission.settle({ kind: 'speech', costMicros: c.micros, units: c.units, ...(requestId ? { upstreamRef: requestId } : {}) });
  } catch (e) {
    deps.logger.error('speech cost not recorded', { model: req.model.id, dashscopeRequestId: requestId, error: e });
  }
}
