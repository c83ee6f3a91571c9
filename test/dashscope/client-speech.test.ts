// The client's Qwen TTS calls against scripted local servers: the native path and SSE header, the answered WAV
// URL, streamed PCM chunks in order, an error frame or a stream cut before its last frame as typed errors.
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { DashScopeAmbiguousError, DashScopeStreamError } from '../../shared/dashscope/errors.ts';
import { secureResultUrl, SPEECH_PATH } from '../../shared/dashscope/speech.ts';
import { json } from './tiny-server.ts';
import { clientHarness } from './client-harness.ts';

const RID = '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d';
const { setup, closeAll } = clientHarness();
afterEach(closeAll);

const body = { model: 'qwen3-tts-flash', input: { text: '你好', voice: 'Cherry' } };
const frame = (id: number, output: unknown, event = 'result', status = 200) =>
  `id:${id}\nevent:${event}\n:HTTP_STATUS/${status}\ndata:${JSON.stringify({ output, usage: { characters: 4 }, request_id: RID })}\n\n`;
const sse = (res: ServerResponse, frames: string[], end = true) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': RID });
  for (const f of frames) res.write(f);
  if (end) res.end();
  // cut once the head and the frames are out: the client has started reading the stream
  else setTimeout(() => res.destroy(), 50);
};

describe('synthesizeSpeech', () => {
  it('posts the text and voice to the native path and returns the WAV URL, its expiry and the characters', async () => {
    const answer = { output: { finish_reason: 'stop', audio: { url: 'http://dashscope-result.example/a.wav?Expires=1', expires_at: 1_900_000_000, data: '', id: 'audio_x' } }, usage: { characters: 4 }, request_id: RID };
    const { server, client } = await setup((_req, res) => json(res, 200, answer, { 'x-request-id': RID }));
    expect(await client.synthesizeSpeech(body)).toEqual({ url: answer.output.audio.url, expiresAt: 1_900_000_000, characters: 4, requestId: RID });
    const seen = server.requests[0]!;
    expect([seen.method, seen.path]).toEqual(['POST', SPEECH_PATH]);
    expect(JSON.parse(seen.body.toString())).toEqual(body);
  });

  it('never sends a synthesis twice once it may have arrived: a connection cut after sending is ambiguous', async () => {
    const { server, client } = await setup((_req, res) => res.destroy());
    await expect(client.synthesizeSpeech(body)).rejects.toBeInstanceOf(DashScopeAmbiguousError);
    expect(server.requests).toHaveLength(1);
  });
  it("gives DashScope's http:// OSS result URL as https (same signature), and leaves other hosts alone", async () => {
    const oss = 'http://dashscope-result-bj.oss-cn-beijing.aliyuncs.com/1d/a.wav?Expires=1900000000&Signature=abc%3D';
    const answer = { output: { finish_reason: 'stop', audio: { url: oss, expires_at: 1_900_000_000, data: '' } }, usage: { characters: 4 }, request_id: RID };
    const { client } = await setup((_req, res) => json(res, 200, answer));
    expect((await client.synthesizeSpeech(body)).url).toBe(`https://${oss.slice('http://'.length)}`);
    expect(secureResultUrl('http://127.0.0.1:9000/results/a.wav')).toBe('http://127.0.0.1:9000/results/a.wav');
    expect(secureResultUrl('http://evil.example/x.aliyuncs.com/a.wav')).toBe('http://evil.example/x.aliyuncs.com/a.wav');
  });
});

describe('streamSpeech', () => {
  it('asks for native SSE and yields each chunk of PCM in order, ending at the stop frame', async () => {
    const a = Buffer.from([1, 0, 2, 0]);
    const b = Buffer.from([3, 0]);
    const { server, client } = await setup((_req, res) =>
      sse(res, [
        frame(1, { finish_reason: 'null', audio: { data: a.toString('base64') } }),
        frame(2, { finish_reason: 'null', audio: { data: b.toString('base64') } }),
        frame(3, { finish_reason: 'stop', audio: { data: '', url: 'http://x.example/a.wav' } }),
      ]),
    );
    const stream = await client.streamSpeech(body);
    expect(stream.requestId).toBe(RID);
    const chunks = [];
    for await (const c of stream.chunks) chunks.push(c);
    expect(chunks.map((c) => [c.pcm.toString('hex'), c.done, c.characters])).toEqual([
      [a.toString('hex'), false, 4],
      [b.toString('hex'), false, 4],
      ['', true, 4],
    ]);
    expect(server.requests[0]!.headers['x-dashscope-sse']).toBe('enable');
  });

  it('throws the error frame DashScope sends mid-stream, and a stream cut before its stop frame', async () => {
    const error = `id:2\nevent:error\n:HTTP_STATUS/400\ndata:${JSON.stringify({ code: 'DataInspectionFailed', message: 'Input data may contain inappropriate content.', request_id: RID })}\n\n`;
    const { client } = await setup((_req, res, _seen, n) => (n === 1 ? sse(res, [frame(1, { finish_reason: 'null', audio: { data: 'AQA=' } }), error]) : sse(res, [frame(1, { finish_reason: 'null', audio: { data: 'AQA=' } })], false)));
    const drain = async () => {
      const s = await client.streamSpeech(body);
      for await (const _c of s.chunks) {
        // read to the end
      }
    };
    await expect(drain()).rejects.toMatchObject({ code: 'DataInspectionFailed' });
    await expect(drain()).rejects.toBeInstanceOf(DashScopeStreamError);
  });
});
