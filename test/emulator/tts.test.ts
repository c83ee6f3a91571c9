// Checklist 21: Qwen TTS with plain fetch: WAV URL with expires_at and usage.characters (CJK counts 2),
// the 600-character and voice checks, and native SSE frames whose PCM equals the WAV at the final URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/server.ts';
import { nativeFrames, post } from './helpers.ts';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0, chunkDelayMs: 0 });
});
afterAll(() => emu.close());

const TTS = '/api/v1/services/aigc/multimodal-generation/generation';
type TtsBody = { output: { finish_reason: string; audio: { url: string; expires_at: number; data: string; id: string } }; usage: { characters: number }; request_id: string };

describe('qwen3-tts-flash', () => {
  it('answers a WAV URL whose Expires equals expires_at, an audio id from the request id, and billed characters', async () => {
    const res = await post(emu, TTS, { model: 'qwen3-tts-flash', input: { text: 'Hi 你好', voice: 'Cherry', language_type: 'Chinese' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as TtsBody;
    expect(body.output.finish_reason).toBe('stop');
    expect(body.output.audio.data).toBe('');
    expect(body.output.audio.id).toBe(`audio_${body.request_id}`);
    const url = new URL(body.output.audio.url);
    expect(url.pathname).toMatch(/\.wav$/);
    expect(Number(url.searchParams.get('Expires'))).toBe(body.output.audio.expires_at);
    expect(body.output.audio.expires_at * 1000).toBeGreaterThan(emu.clock.nowMs() + 23 * 3600_000);
    // "Hi " = 3, each of the two CJK characters = 2.
    expect(body.usage.characters).toBe(7);
    const wav = await fetch(url);
    expect(wav.headers.get('content-type')).toBe('audio/wav');
  });

  it('rejects text over 600 characters and an unknown voice with 400 InvalidParameter', async () => {
    const long = await post(emu, TTS, { model: 'qwen3-tts-flash', input: { text: 'a'.repeat(601), voice: 'Cherry' } });
    expect(long.status).toBe(400);
    expect(((await long.json()) as { code: string }).code).toBe('InvalidParameter');
    const ok600 = await post(emu, TTS, { model: 'qwen3-tts-flash', input: { text: 'a'.repeat(600), voice: 'Cherry' } });
    expect(ok600.status).toBe(200);
    const voice = await post(emu, TTS, { model: 'qwen3-tts-flash', input: { text: 'hello', voice: 'Nobody' } });
    expect(voice.status).toBe(400);
    expect(((await voice.json()) as { message: string }).message).toMatch(/^Input should be 'Cherry', .* or 'Kiki': parameters\.audio\.voice$/);
  });

  it('streams native SSE frames of base64 PCM with finish_reason "null" until the last says "stop"', async () => {
    const text = 'The quick brown fox jumps over the lazy dog, again and again.';
    const res = await post(emu, TTS, { model: 'qwen3-tts-flash', input: { text, voice: 'Ethan' } }, { 'X-DashScope-SSE': 'enable' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const raw = await res.text();
    expect(raw.startsWith('id:1\nevent:result\n:HTTP_STATUS/200\ndata:{')).toBe(true);
    const frames = nativeFrames(raw);
    expect(frames.length).toBeGreaterThan(2);
    expect(frames.map((f) => f.id)).toEqual(frames.map((_, i) => String(i + 1)));
    expect(frames.every((f) => f.event === 'result' && f.status === '200')).toBe(true);
    type Out = { output: { finish_reason: string; audio: { data: string; url: string; expires_at: number } }; usage: { characters: number } };
    const outs = frames.map((f) => f.data as unknown as Out);
    expect(outs.slice(0, -1).every((o) => o.output.finish_reason === 'null' && o.output.audio.data.length > 0)).toBe(true);
    const last = outs.at(-1)!;
    expect(last.output.finish_reason).toBe('stop');
    expect(last.output.audio.data).toBe('');
    expect(outs.every((o) => o.usage.characters === text.length)).toBe(true);
    const pcm = Buffer.concat(outs.slice(0, -1).map((o) => Buffer.from(o.output.audio.data, 'base64')));
    const wav = Buffer.from(await (await fetch(last.output.audio.url)).arrayBuffer());
    expect(wav.subarray(44).equals(pcm)).toBe(true);
  });

  it('sends validation errors of an SSE request as a native event:error frame with the HTTP status', async () => {
    const res = await post(emu, TTS, { model: 'qwen3-tts-flash', input: { text: '', voice: 'Cherry' } }, { 'X-DashScope-SSE': 'enable' });
    expect(res.status).toBe(400);
    const [frame] = nativeFrames(await res.text());
    expect(frame).toMatchObject({ event: 'error', status: '400', data: { code: 'InvalidParameter' } });
  });

  it('is not served under compatible mode', async () => {
    const res = await post(emu, '/compatible-mode/v1/audio/speech', { model: 'qwen3-tts-flash', input: 'hi', voice: 'Cherry' });
    expect(res.status).toBe(404);
  });
});
