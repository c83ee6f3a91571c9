// persistResult over the local adapters with an in-memory ResultSource: what the task row and the bucket end
// up with for each kind of answer the source gives (bytes, a refusal, a status, a body cut mid-way).
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManifestOutput } from '../../shared/domain/manifest.ts';
import { DownloadError } from '../../shared/ports/result-source.ts';
import { PersistRetryableError } from '../../shared/use-cases/persist/persist-errors.ts';
import { persistResult } from '../../shared/use-cases/persist/persist-result.ts';
import { createHarness, type Harness } from './harness.ts';
import { MemoryResultSource, type MemoryResult } from './memory-result-source.ts';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(3000)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2000)]);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
const output = (index: number, expiresAt = inMinutes(24 * 60)): ManifestOutput => ({ index, url: `https://r.oss-cn-beijing.aliyuncs.com/${index}`, expiresAt, kind: 'image' });

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function withSource(results: Record<number, MemoryResult>): Harness {
  const byUrl = Object.fromEntries(Object.entries(results).map(([i, r]) => [`https://r.oss-cn-beijing.aliyuncs.com/${i}`, r]));
  harness = createHarness({ results: new MemoryResultSource(byUrl) });
  return harness;
}

describe('persistResult: what the result source answers', () => {
  it('stores the bytes the source serves under the type its first bytes show, whatever type it declares', async () => {
    const h = withSource({ 0: { bytes: JPEG, contentType: 'text/plain' }, 1: { bytes: PNG } });
    const { taskId, key } = await h.seed([output(0), output(1)]);
    const r = await persistResult(h.deps, key);
    expect(r.outcome).toBe('persisted');
    const dir = `media/2030/03/04/${taskId}`;
    expect(h.mediaKeys()).toEqual([`${dir}/0.jpg`, `${dir}/1.png`]);
    expect(await h.sha256Of(`${dir}/0.jpg`)).toBe(sha(JPEG));
    expect((await h.task(taskId)).outputs).toMatchObject([
      { index: 0, contentType: 'image/jpeg', bytes: JPEG.length, sha256: sha(JPEG) },
      { index: 1, contentType: 'image/png', bytes: PNG.length, sha256: sha(PNG) },
    ]);
  });

  it("records the source's refusal on its output and persists the others", async () => {
    const refusal = new DownloadError('refused', 'ForbiddenAddress', 'r.oss-cn-beijing.aliyuncs.com resolves to a forbidden address: 10.0.0.7 is private');
    const h = withSource({ 0: { fails: refusal }, 1: { bytes: PNG } });
    const { taskId, key } = await h.seed([output(0), output(1)]);
    await persistResult(h.deps, key);
    const task = await h.task(taskId);
    expect(task.status).toBe('PERSISTED');
    expect(task.outputs[0]?.error).toEqual({ code: 'ForbiddenAddress', message: `output 0: ${refusal.message}` });
    expect(h.mediaKeys()).toEqual([`media/2030/03/04/${taskId}/1.png`]);
  });

  it("marks the task EXPIRED when the source answers 403 within minutes of the URL's expiry by our own clock", async () => {
    const h = withSource({ 0: { fails: new DownloadError('status', 'SourceStatus', 'source answered 403', { status: 403 }) } });
    const { taskId, key } = await h.seed([output(0, inMinutes(2))]);
    const r = await persistResult(h.deps, key);
    expect(r.outcome).toBe('expired');
    const task = await h.task(taskId);
    expect(task.status).toBe('EXPIRED');
    expect(task.error).toMatchObject({ code: 'ResultExpired' });
    expect(h.eventsOf('task.expired', taskId)).toBe(1);
  });

  it('asks for another delivery when a 404 comes hours before the expiry, and the row says why', async () => {
    const h = withSource({});
    const { taskId, key } = await h.seed([output(0)]);
    const err = await persistResult(h.deps, key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistRetryableError);
    const task = await h.task(taskId);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.outputs[0]?.error).toMatchObject({ code: 'SourceStatus' });
  });

  it('leaves nothing under the key when the body breaks mid-way, asks for another delivery, and completes on it', async () => {
    const body = Buffer.concat([PNG, randomBytes(100_000)]);
    const cut = new DownloadError('transient', 'ConnectionFailed', 'download failed: ECONNRESET socket hang up');
    const results: Record<string, MemoryResult> = { 'https://r.oss-cn-beijing.aliyuncs.com/0': { bytes: body, breaksAfter: 50_000, with: cut } };
    harness = createHarness({ results: new MemoryResultSource(results) });
    const h = harness;
    const { taskId, key } = await h.seed([output(0)]);

    const err = await persistResult(h.deps, key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistRetryableError);
    expect((err as PersistRetryableError).failures).toMatchObject([{ index: 0, code: 'ConnectionFailed' }]);
    expect(h.mediaKeys()).toEqual([]);
    expect(h.tmpFiles()).toEqual([]);

    results['https://r.oss-cn-beijing.aliyuncs.com/0'] = { bytes: body };
    await persistResult(h.deps, key);
    const task = await h.task(taskId);
    expect(task.status).toBe('PERSISTED');
    expect(task.outputs[0]).toMatchObject({ bytes: body.length, sha256: sha(body) });
  });
});
