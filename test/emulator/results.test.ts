// Checklist 19 and the media files: result URLs serve real PNG / WAV / MP4 bytes with the right type and
// length, byte-identical to `emu.media.expected`, and refuse with OSS's XML 403 once expired or when the
// signature does not match.
import { createHash } from 'node:crypto';
import { crc32, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mp4Head } from '../../dev/emulator/mp4.ts';
import { startEmulator, type Emulator } from '../../dev/emulator/server.ts';
import { get, post } from './helpers.ts';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({
    port: 0,
    videoBytes: 3 * 1024 * 1024 + 17,
    taskTimings: { image: { pendingMs: 0, runningMs: 0 }, video: { pendingMs: 0, runningMs: 0 } },
    rateLimits: { '*': { submitsPerSecond: Infinity, concurrentTasks: Infinity } },
    taskQueryQps: Infinity,
  });
});
afterAll(() => emu.close());

async function taskResult(path: string, body: unknown): Promise<Record<string, unknown>> {
  const created = (await (await post(emu, path, body, { 'X-DashScope-Async': 'enable' })).json()) as { output: { task_id: string } };
  const done = (await (await get(emu, `/api/v1/tasks/${created.output.task_id}`)).json()) as { output: Record<string, unknown> };
  expect(done.output.task_status).toBe('SUCCEEDED');
  return done.output;
}
const imageUrl = async (size = '640*512') =>
  ((await taskResult('/api/v1/services/aigc/text2image/image-synthesis', { model: 'wanx2.1-t2i-turbo', input: { prompt: 'a lighthouse' }, parameters: { n: 1, size } })).results as { url: string }[])[0]!.url;
const videoUrl = async () =>
  (await taskResult('/api/v1/services/aigc/video-generation/video-synthesis', { model: 'wan2.5-t2v-preview', input: { prompt: 'rain' }, parameters: { size: '832*480' } })).video_url as string;
async function audioUrl(): Promise<string> {
  const res = await post(emu, '/api/v1/services/aigc/multimodal-generation/generation', { model: 'qwen3-tts-flash', input: { text: 'Hello there', voice: 'Cherry' } });
  return ((await res.json()) as { output: { audio: { url: string } } }).output.audio.url;
}
async function download(url: string): Promise<{ res: Response; bytes: Buffer }> {
  const res = await fetch(url);
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('result files', () => {
  it('serves a real PNG: signature, IHDR of the requested size, valid CRCs, inflatable IDAT', async () => {
    const { res, bytes } = await download(await imageUrl('640*512'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const chunks: { type: string; data: Buffer }[] = [];
    for (let at = 8; at < bytes.length; ) {
      const len = bytes.readUInt32BE(at);
      const type = bytes.toString('ascii', at + 4, at + 8);
      const data = bytes.subarray(at + 8, at + 8 + len);
      expect(bytes.readUInt32BE(at + 8 + len)).toBe(crc32(bytes.subarray(at + 4, at + 8 + len)));
      chunks.push({ type, data });
      at += 12 + len;
    }
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ihdr = chunks[0]!.data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]]).toEqual([640, 512, 8, 2]);
    expect(inflateSync(chunks[1]!.data).length).toBe(512 * (1 + 640 * 3));
  });

  it('serves a real WAV: RIFF/WAVE, PCM mono 16-bit 24 kHz, data size matching the length', async () => {
    const { res, bytes } = await download(await audioUrl());
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(bytes.toString('ascii', 0, 4)).toBe('RIFF');
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
    expect(bytes.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect([bytes.readUInt16LE(20), bytes.readUInt16LE(22), bytes.readUInt32LE(24), bytes.readUInt16LE(34)]).toEqual([1, 1, 24_000, 16]);
    expect(bytes.toString('ascii', 36, 40)).toBe('data');
    expect(bytes.readUInt32LE(40)).toBe(bytes.length - 44);
  });

  it('streams an MP4 of the configured size whose top-level boxes are ftyp, moov, mdat and add up', async () => {
    const { res, bytes } = await download(await videoUrl());
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(bytes.length).toBe(3 * 1024 * 1024 + 17);
    const boxes: string[] = [];
    let at = 0;
    while (at < bytes.length) {
      boxes.push(bytes.toString('ascii', at + 4, at + 8));
      at += bytes.readUInt32BE(at);
    }
    expect(boxes).toEqual(['ftyp', 'moov', 'mdat']);
    expect(at).toBe(bytes.length);
  });

  it('lays out an MP4 over 4 GiB with a 64-bit mdat size', () => {
    const total = 5 * 1024 ** 3;
    const { head, payloadBytes } = mp4Head(total, 5);
    const mdatAt = head.length - 16;
    expect(head.toString('ascii', mdatAt + 4, mdatAt + 8)).toBe('mdat');
    expect(head.readUInt32BE(mdatAt)).toBe(1);
    expect(Number(head.readBigUInt64BE(mdatAt + 8))).toBe(16 + payloadBytes);
    expect(head.length + payloadBytes).toBe(total);
  });

  it('serves the same bytes every time and exactly what emu.media.expected announces', async () => {
    for (const url of [await imageUrl(), await videoUrl(), await audioUrl()]) {
      const first = await download(url);
      const second = await download(url);
      const expected = await emu.media.expected(url);
      const sha = createHash('sha256').update(first.bytes).digest('hex');
      expect(sha).toBe(createHash('sha256').update(second.bytes).digest('hex'));
      expect({ contentType: first.res.headers.get('content-type'), bytes: first.bytes.length, sha256: sha }).toEqual(expected);
    }
  });

  it('answers HEAD with the type and length only', async () => {
    const url = await imageUrl();
    const res = await fetch(url, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBe((await emu.media.expected(url)).bytes);
  });

  it('needs no API key (the URL is its own credential)', async () => {
    const res = await fetch(await imageUrl(), { headers: { authorization: 'Bearer wrong' } });
    expect(res.status).toBe(200);
  });
});

describe('expiry and signatures', () => {
  it('refuses with OSS XML 403 AccessDenied "Request has expired." after 24 h on the emulator clock', async () => {
    const url = await imageUrl();
    expect((await fetch(url)).status).toBe(200);
    emu.clock.advance(24 * 3600_000 + 1_000);
    const res = await fetch(url);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/xml');
    const xml = await res.text();
    expect(xml).toContain('<Code>AccessDenied</Code>');
    expect(xml).toContain('<Message>Request has expired.</Message>');
    expect(xml).toMatch(/<RequestId>[^<]+<\/RequestId>/);
  });

  it('refuses a wrong signature or a stretched Expires with 403 SignatureDoesNotMatch', async () => {
    const url = new URL(await imageUrl());
    const badSig = new URL(url);
    badSig.searchParams.set('Signature', 'AAAA' + url.searchParams.get('Signature')!.slice(4));
    const stretched = new URL(url);
    stretched.searchParams.set('Expires', String(Number(url.searchParams.get('Expires')) + 3600));
    for (const u of [badSig, stretched]) {
      const res = await fetch(u);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    }
  });

  it('refuses a URL without its signature parameters with 403', async () => {
    const url = new URL(await imageUrl());
    const res = await fetch(`${url.origin}${url.pathname}`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AccessDenied</Code>');
  });
});
