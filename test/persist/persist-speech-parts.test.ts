// persistResult for a speech output synthesised in parts: the parts' WAVs joined into one object (verified
// and reused like any output on a second delivery), refused when the parts are not WAVs of one format.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseWav, QWEN_TTS_PCM, wavHeader } from '../../shared/audio/wav.ts';
import type { ManifestOutput } from '../../shared/domain/manifest.ts';
import { DownloadError } from '../../shared/ports/result-source.ts';
import { PersistRetryableError } from '../../shared/use-cases/persist/persist-errors.ts';
import { persistResult } from '../../shared/use-cases/persist/persist-result.ts';
import { createHarness, type Harness } from './harness.ts';
import { MemoryResultSource } from './memory-result-source.ts';

const later = new Date(Date.now() + 3_600_000).toISOString();
const partUrl = (i: number) => `https://dashscope-result-bj.oss-cn-beijing.aliyuncs.com/part-${i}.wav`;
const pcm = (n: number, seed: number) => Buffer.from(Array.from({ length: n * 2 }, (_, i) => (i * seed) % 251));
const wav = (data: Buffer, format = QWEN_TTS_PCM) => Buffer.concat([wavHeader(format, data.length), data]);
const joinedOutput = (n: number): ManifestOutput => ({
  index: 0,
  url: partUrl(0),
  expiresAt: later,
  kind: 'audio',
  parts: Array.from({ length: n }, (_, i) => ({ url: partUrl(i), expiresAt: later })),
});

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('persistResult: a speech output in parts', () => {
  it('stores one WAV holding every part in order, and a second delivery verifies it rather than writing again', async () => {
    const data = [pcm(2_400, 3), pcm(1_200, 5), pcm(600, 7)];
    harness = createHarness({ results: new MemoryResultSource(Object.fromEntries(data.map((d, i) => [partUrl(i), { bytes: wav(d) }]))) });
    const { taskId, key } = await harness.seed([joinedOutput(3)]);
    expect((await persistResult(harness.deps, key)).outcome).toBe('persisted');
    const [stored] = harness.mediaKeys();
    expect(stored).toBe(`media/2030/03/04/${taskId}/0.wav`);
    const { body } = await harness.objects.get(stored!);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    const file = Buffer.concat(chunks);
    expect(parseWav(file).data.equals(Buffer.concat(data))).toBe(true);
    const task = await harness.task(taskId);
    expect(task.outputs[0]).toMatchObject({ contentType: 'audio/wav', bytes: file.length, sha256: createHash('sha256').update(file).digest('hex') });
    expect((await persistResult(harness.deps, key)).outcome).toBe('duplicate');
    expect(harness.mediaKeys()).toHaveLength(1);
  });

  it('refuses parts that are not WAVs of one format: nothing stored, the task FAILED saying why', async () => {
    harness = createHarness({
      results: new MemoryResultSource({ [partUrl(0)]: { bytes: wav(pcm(100, 3)) }, [partUrl(1)]: { bytes: wav(pcm(100, 3), { ...QWEN_TTS_PCM, sampleRate: 16_000 }) } }),
    });
    const { taskId, key } = await harness.seed([joinedOutput(2)]);
    expect((await persistResult(harness.deps, key)).outcome).toBe('failed');
    expect(harness.mediaKeys()).toEqual([]);
    const task = await harness.task(taskId);
    expect(task.outputs[0]?.error).toMatchObject({ code: 'UnjoinableParts', message: expect.stringContaining('part 1 is 16000 Hz') });
  });

  it('leaves nothing stored and asks for another delivery when a part breaks off mid-way', async () => {
    const cut = new DownloadError('transient', 'ConnectionFailed', 'download failed: ECONNRESET');
    harness = createHarness({
      results: new MemoryResultSource({ [partUrl(0)]: { bytes: wav(pcm(4_000, 3)) }, [partUrl(1)]: { bytes: wav(pcm(4_000, 5)), breaksAfter: 3_000, with: cut } }),
    });
    const { taskId, key } = await harness.seed([joinedOutput(2)]);
    await expect(persistResult(harness.deps, key)).rejects.toBeInstanceOf(PersistRetryableError);
    expect(harness.mediaKeys()).toEqual([]);
    expect((await harness.task(taskId)).status).toBe('SUCCEEDED');
  });
});
