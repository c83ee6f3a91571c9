// Qwen TTS (native `multimodal-generation/generation`): one synthesis answered with a WAV URL, or streamed as
// native SSE frames of base64 PCM (`X-DashScope-SSE: enable`) until the frame whose finish_reason is "stop".
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { CallOptions } from '../ports/upstream-call.ts';
import type { SpeechBody, SpeechChunk, SpeechStream, SynthesizedSpeech } from '../ports/speech-upstream.ts';
import type { Deadline } from './deadline.ts';
import { DashScopeAbortedError, DashScopeResponseError, DashScopeStreamError } from './errors.ts';
import { streamErrorOf, toStreamFailure } from './event-stream.ts';
import { parseSse } from './sse.ts';
import type { DashScopeTransport } from './transport.ts';

export const SPEECH_PATH = '/api/v1/services/aigc/multimodal-generation/generation';

const usage = z.looseObject({ characters: z.number().nullish() }).nullish();
const audio = z.looseObject({ url: z.string().nullish(), expires_at: z.number().nullish(), data: z.string().nullish() });

const speechResponseSchema = z.looseObject({
  output: z.looseObject({ audio: audio.extend({ url: z.string().min(1) }), finish_reason: z.string().nullish() }),
  usage,
  request_id: z.string().nullish(),
});

const speechChunkSchema = z.looseObject({
  output: z.looseObject({ audio: audio.nullish(), finish_reason: z.string().nullish() }),
  usage,
});

const count = (n: number | null | undefined) => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined);

export class SpeechApi {
  constructor(private readonly http: DashScopeTransport) {}

  async synthesize(body: SpeechBody, opts: CallOptions = {}): Promise<SynthesizedSpeech> {
    const { data, requestId } = await this.http.json(
      // billed per call: retried only when it certainly did not reach DashScope
      { operation: 'synthesizeSpeech', method: 'POST', path: SPEECH_PATH, json: body, nonIdempotent: true },
      speechResponseSchema,
      opts,
    );
    const a = data.output.audio;
    const characters = count(data.usage?.characters);
    const expiresAt = count(a.expires_at);
    return { url: a.url, requestId: requestId || (data.request_id ?? ''), ...(expiresAt ? { expiresAt } : {}), ...(characters !== undefined ? { characters } : {}) };
  }

  async stream(body: SpeechBody, opts: CallOptions = {}): Promise<SpeechStream> {
    const { body: res, deadline, requestId } = await this.http.open(
      { operation: 'speechStream', method: 'POST', path: SPEECH_PATH, json: body, headers: { 'X-DashScope-SSE': 'enable', Accept: 'text/event-stream' }, nonIdempotent: true },
      opts,
    );
    return { requestId, chunks: readChunks(res, deadline, requestId) };
  }
}

/** The chunks of a native speech stream; leaving early (return, throw) cancels the request. */
async function* readChunks(body: Readable, deadline: Deadline, requestId: string): AsyncGenerator<SpeechChunk, void, undefined> {
  let finished = false;
  try {
    for await (const event of parseSse(body)) {
      deadline.restart();
      if (!event.data) continue;
      let value: unknown;
      try {
        value = JSON.parse(event.data);
      } catch {
        throw new DashScopeResponseError('DashScope sent a speech stream frame that is not JSON', { status: 200, requestId });
      }
      const failed = streamErrorOf(event, value, requestId);
      if (failed) throw failed;
      const parsed = speechChunkSchema.safeParse(value);
      if (!parsed.success) throw new DashScopeResponseError('DashScope sent a speech stream frame of an unexpected shape', { status: 200, requestId });
      const out = parsed.data.output;
      const data = out.audio?.data;
      const done = out.finish_reason === 'stop';
      const characters = count(parsed.data.usage?.characters);
      // pausing while the consumer writes: a slow client is not upstream being idle
      deadline.pause();
      yield { pcm: data ? Buffer.from(data, 'base64') : Buffer.alloc(0), done, ...(characters !== undefined ? { characters } : {}) };
      deadline.restart();
      if (done) {
        finished = true;
        // what follows the last frame is read off, so the connection goes back to the pool
        body.resume();
        return;
      }
    }
    throw new DashScopeStreamError('stream_interrupted', 'the DashScope speech stream ended before its last frame', { requestId });
  } catch (err) {
    throw toStreamFailure(err, deadline, requestId);
  } finally {
    // a consumer that stopped early, or a failure: the connection is closed so DashScope stops synthesising
    if (!finished && !deadline.aborted) deadline.abort(new DashScopeAbortedError());
    deadline.dispose();
  }
}
