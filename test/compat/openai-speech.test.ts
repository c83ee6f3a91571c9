// The `openai` SDK's audio.speech.create, unchanged, against `npm start`: speech streamed as it is synthesised
// (the first bytes while DashScope is still speaking), decodable WAV or raw PCM, and clear refusals.
import OpenAI from 'openai';
import { describe, expect, inject, it } from 'vitest';
import { parseWav, QWEN_TTS_PCM } from '../../shared/audio/wav.ts';

const client = new OpenAI({ baseURL: `${inject('compatOrigin')}/v1`, apiKey: 'local-mode-needs-none', maxRetries: 0 });
const emulator = inject('compatEmulator');

interface LoggedRequest {
  path: string;
  startedAt: number;
  endedAt: number | null;
}

const ttsRequests = async (): Promise<LoggedRequest[]> =>
  ((await (await fetch(`${emulator}/_emulator/requests`)).json()) as LoggedRequest[]).filter((r) => r.path.endsWith('/multimodal-generation/generation'));

/** 600 characters (the most one request takes), about 30 s of the emulator's voice: far more than a socket buffers. */
const LONG_TEXT = 'The river runs past the old mill and under the bridge. '.repeat(11).slice(0, 600);

async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>, first: Uint8Array[]): Promise<Buffer> {
  const chunks = [...first];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    chunks.push(value);
  }
}

describe('openai SDK audio.speech.create against npm start', () => {
  it('streams a WAV whose first bytes arrive while the synthesis is still running', async () => {
    const before = (await ttsRequests()).length;
    const response = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: LONG_TEXT, response_format: 'wav' });
    expect(response.headers.get('content-type')).toBe('audio/wav');
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);

    // the client holds its first bytes and reads no further: DashScope's side has not finished speaking
    const inFlight = (await ttsRequests()).slice(before);
    expect(inFlight).toHaveLength(1);
    expect(inFlight[0]!.endedAt).toBeNull();

    const wav = parseWav(await readAll(reader, [first.value!]));
    expect(wav.format).toEqual(QWEN_TTS_PCM);
    // the emulator speaks 50 ms per character: 600 characters are 30 s of 24 kHz 16-bit samples
    expect(wav.data.length).toBe(600 * 0.05 * 24_000 * 2);
    const [after] = (await ttsRequests()).slice(before);
    expect(after!.endedAt).not.toBeNull();
  });

  it('answers raw PCM for response_format pcm, with a Qwen voice named in any case', async () => {
    const response = await client.audio.speech.create({ model: 'qwen3-tts-flash', voice: 'ethan' as 'echo', input: 'Short and clear.', response_format: 'pcm' });
    expect(response.headers.get('content-type')).toBe('audio/pcm');
    const pcm = Buffer.from(await response.arrayBuffer());
    // no RIFF header: samples only, whole 16-bit frames
    expect(pcm.subarray(0, 4).toString('latin1')).not.toBe('RIFF');
    expect(pcm.length % 2).toBe(0);
    expect(pcm.length).toBeGreaterThan(0);
  });

  const refusals = [
    { name: 'an unknown voice, listing the voices', body: { voice: 'nobody' as 'alloy', input: 'hello' }, status: 400, code: 'unknown_voice', says: /Cherry.*alloy/ },
    { name: 'an input of only whitespace', body: { voice: 'alloy' as const, input: '  \n  ' }, status: 400, code: 'empty_input', says: /nothing to speak/ },
    { name: 'an empty input', body: { voice: 'alloy' as const, input: '' }, status: 400, code: 'empty_input', says: /nothing to speak/ },
    { name: 'an input longer than one synthesis takes', body: { voice: 'alloy' as const, input: '字'.repeat(301) }, status: 400, code: 'input_too_long', says: /602 characters.*at most 600.*\/v1\/tasks/ },
    { name: 'mp3, which is not served', body: { voice: 'alloy' as const, input: 'hello', response_format: 'mp3' as const }, status: 400, code: 'unsupported_response_format', says: /wav, pcm/ },
    { name: 'the sse stream format', body: { voice: 'alloy' as const, input: 'hello', stream_format: 'sse' as const }, status: 400, code: 'unsupported_stream_format', says: /audio/ },
  ];

  it.each(refusals)('refuses $name before anything reaches DashScope', async ({ body, status, code, says }) => {
    const before = (await ttsRequests()).length;
    const error = await client.audio.speech.create({ model: 'tts-1', ...body }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const e = error as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(status);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(says);
    expect((await ttsRequests()).length).toBe(before);
  });
});
