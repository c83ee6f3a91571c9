// Streamed speech: DashScope's refusal in the stream's first frame (after its HTTP 200) reaches the client as an
// error before any audio, and nothing is billed; a synthesis that started streams and is billed once.
import { describe, expect, it } from 'vitest';
import { DashScopeApiError } from '../../dashscope/errors.ts';
import { createLogger } from '../../log/logger.ts';
import { uuidIds } from '../../ports/clock.ts';
import type { SpeechChunk, SpeechUpstream } from '../../ports/speech-upstream.ts';
import type { Admission, Bill, Guard } from '../guards/guard.ts';
import { createSpeech, type AudioSink } from './create-speech.ts';
import { parseSpeechRequest } from './speech-request.ts';

function setup(chunks: () => AsyncGenerator<SpeechChunk, void, undefined>) {
  const billed: (Bill | 'released')[] = [];
  const admission: Admission = { settle: async (b) => void billed.push(b), release: async () => void billed.push('released') };
  const guard = { enabled: true, admit: async () => admission, settle: async () => {}, expire: async () => 0 } as Guard;
  let closed = 0;
  const speech = {
    streamSpeech: async () => ({
      requestId: 'ds-req-1',
      chunks: {
        [Symbol.asyncIterator]: () => {
          const it = chunks();
          const ret = it.return.bind(it);
          return Object.assign(it, { return: (v?: void) => ((closed += 1), ret(v)) });
        },
      },
    }),
    synthesizeSpeech: async () => ({ url: '', requestId: '' }),
  } as unknown as SpeechUpstream;
  const sent: { opened?: string; bytes: number; ended: boolean } = { bytes: 0, ended: false };
  const sink: AudioSink = { open: (type) => void (sent.opened = type), write: async (b) => void (sent.bytes += b.length), end: () => void (sent.ended = true) };
  const deps = { config: { DASHSCOPE_TIMEOUT_MS: 1000, DASHSCOPE_MAX_RETRIES: 0 }, logger: createLogger('silent'), ids: uuidIds, speech, guard };
  const ctx = { principal: { tenant: 'acme', role: 'app' as const, limits: {}, budgets: {} }, requestId: 'r1', signal: new AbortController().signal, sink };
  const settled = () => new Promise((r) => setTimeout(r, 5));
  return { deps, ctx, sent, billed, settled, closed: () => closed };
}

const request = parseSpeechRequest({ model: 'tts-1', input: 'Hello there.', voice: 'alloy' });

describe('createSpeech', () => {
  it('answers a refusal in the first frame as an error, before the head goes out, and bills nothing', async () => {
    // a stream whose first frame is DashScope's refusal: it yields nothing
    // eslint-disable-next-line require-yield
    const s = setup(async function* () {
      throw new DashScopeApiError(400, 'DataInspectionFailed', 'Input data may contain inappropriate content.');
    });
    await expect(createSpeech(s.deps as never, request, s.ctx as never)).rejects.toMatchObject({ message: expect.stringContaining('inappropriate') });
    await s.settled();
    expect(s.sent.opened).toBeUndefined();
    expect(s.sent.bytes).toBe(0);
    expect(s.billed).toEqual(['released']);
  });

  it('streams a synthesis that started and bills its characters once', async () => {
    const s = setup(async function* () {
      yield { pcm: Buffer.alloc(480), characters: 12, done: false };
      yield { pcm: Buffer.alloc(0), characters: 12, done: true };
    });
    const outcome = await createSpeech(s.deps as never, request, s.ctx as never);
    await s.settled();
    expect(s.sent).toMatchObject({ opened: 'audio/wav', ended: true, bytes: 44 + 480 });
    expect(outcome).toMatchObject({ characters: 12, audioBytes: 480 });
    expect(s.billed).toHaveLength(1);
    expect(s.billed[0]).toMatchObject({ kind: 'speech', units: expect.objectContaining({}) });
  });

  it('cancels the upstream stream when a write to the client fails', async () => {
    const s = setup(async function* () {
      for (;;) yield { pcm: Buffer.alloc(480), done: false };
    });
    s.ctx.sink.write = async () => {
      throw new Error('client went away');
    };
    await expect(createSpeech(s.deps as never, request, s.ctx as never)).rejects.toBeDefined();
    expect(s.closed()).toBe(1);
  });
});
