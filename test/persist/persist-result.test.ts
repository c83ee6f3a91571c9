// persistResult against the local adapters and small origin servers: what is copied or refused, and that
// nothing partial or forbidden ever happens (retries, expiry and lost races: persist-result-retries.test.ts).
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PersistIntegrityError } from '../../shared/use-cases/persist/persist-errors.ts';
import { persistResult } from '../../shared/use-cases/persist/persist-result.ts';
import { createHarness, type Harness } from './harness.ts';
import { closeMediaServers, JPEG, media, PNG, resolver, sha, url } from './persist-fixtures.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await closeMediaServers();
  await harness?.close();
  harness = undefined;
});

describe('persistResult: copying', () => {
  it('copies each output once under media/{yyyy}/{mm}/{dd}/{taskId}/{index}.{ext} with the sniffed type, size and sha256', async () => {
    const s = await media({ '/a': PNG, '/b': JPEG });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a?Expires=9999999999`), url(1, `${s.origin}/b`)]);

    const r = await persistResult(harness.deps, key);

    expect(r.outcome).toBe('persisted');
    const dir = `media/2030/03/04/${taskId}`;
    expect(harness.mediaKeys()).toEqual([`${dir}/0.png`, `${dir}/1.jpg`]);
    const task = await harness.task(taskId);
    expect(task.status).toBe('PERSISTED');
    expect(task.outputs).toMatchObject([
      { index: 0, key: `${dir}/0.png`, contentType: 'image/png', bytes: PNG.length, sha256: sha(PNG) },
      { index: 1, key: `${dir}/1.jpg`, contentType: 'image/jpeg', bytes: JPEG.length, sha256: sha(JPEG) },
    ]);
    expect(await harness.sha256Of(`${dir}/0.png`)).toBe(sha(PNG));
    expect((await harness.objects.head(`${dir}/0.png`))?.metadata).toEqual({ sourceTaskId: taskId, sha256: sha(PNG) });
    expect(task.dueAt).toBeUndefined();
    expect(harness.eventsOf('task.persisted', taskId)).toBe(1);
  });

  it('records a partial failure from the manifest and still persists the rest', async () => {
    const s = await media({ '/a': PNG });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([{ index: 0, error: { code: 'DataInspectionFailed', message: 'blocked' } }, url(1, `${s.origin}/a`)]);
    await persistResult(harness.deps, key);
    const task = await harness.task(taskId);
    expect(task.status).toBe('PERSISTED');
    expect(task.outputs[0]).toMatchObject({ index: 0, error: { code: 'DataInspectionFailed' } });
    expect(task.outputs[0]?.key).toBeUndefined();
    expect(task.outputs[1]).toMatchObject({ index: 1, contentType: 'image/png' });
    expect(task.error).toBeUndefined();
  });

  it('treats a second delivery as a duplicate: verifies, writes nothing, re-publishes only the same event id', async () => {
    const s = await media({ '/a': PNG });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a`)]);
    await persistResult(harness.deps, key);
    const version = (await harness.task(taskId)).version;
    const again = await persistResult(harness.deps, key);
    expect(again.outcome).toBe('duplicate');
    expect((await harness.task(taskId)).version).toBe(version);
    expect(harness.eventsOf('task.persisted', taskId)).toBe(1);
    expect(s.requests).toHaveLength(1);
  });

  it('publishes task.persisted on the next delivery when an invocation died between the status write and the publish', async () => {
    const s = await media({ '/a': PNG });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a`)]);
    // The instance dies right after the PERSISTED write: the publish never happens.
    const dying = { ...harness.deps, events: { publish: () => Promise.reject(new Error('instance stopped')) } };
    await expect(persistResult(dying, key)).rejects.toThrow('instance stopped');
    expect((await harness.task(taskId)).status).toBe('PERSISTED');
    expect(harness.eventsOf('task.persisted', taskId)).toBe(0);
    const retry = await persistResult(harness.deps, key);
    expect(retry.outcome).toBe('duplicate');
    expect(harness.eventsOf('task.persisted', taskId)).toBe(1);
  });

  it('lets three concurrent deliveries race: one object per output, PERSISTED once, one event', async () => {
    const big = Buffer.concat([PNG.subarray(0, 8), randomBytes(500_000)]);
    const s = await media({ '/a': big, '/b': JPEG });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a`), url(1, `${s.origin}/b`)]);
    const outcomes = await Promise.all([0, 1, 2].map(() => persistResult(harness!.deps, key).then((r) => r.outcome)));
    expect(outcomes.filter((o) => o === 'persisted')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(2);
    expect(harness.mediaKeys()).toHaveLength(2);
    const task = await harness.task(taskId);
    expect(task.version).toBe(2);
    expect(task.outputs.map((o) => o.sha256)).toEqual([sha(big), sha(JPEG)]);
    expect(harness.eventsOf('task.persisted', taskId)).toBe(1);
  });

  it('reuses an object an interrupted earlier delivery already stored, after checking it matches the source', async () => {
    const s = await media({ '/a': PNG });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a`)]);
    const mediaKey = `media/2030/03/04/${taskId}/0.png`;
    await harness.objects.put(mediaKey, PNG, { contentType: 'image/png', metadata: { sha256: sha(PNG), sourceTaskId: taskId }, createOnly: true });
    await persistResult(harness.deps, key);
    expect((await harness.task(taskId)).outputs[0]).toMatchObject({ key: mediaKey, sha256: sha(PNG) });
  });

  it('fails loudly and overwrites nothing when the object under the key differs from the source', async () => {
    const s = await media({ '/a': PNG });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a`)]);
    const mediaKey = `media/2030/03/04/${taskId}/0.png`;
    const other = Buffer.concat([PNG.subarray(0, 8), randomBytes(100)]);
    await harness.objects.put(mediaKey, other, { contentType: 'image/png', metadata: { sha256: sha(other), sourceTaskId: taskId }, createOnly: true });
    await expect(persistResult(harness.deps, key)).rejects.toBeInstanceOf(PersistIntegrityError);
    expect(await harness.sha256Of(mediaKey)).toBe(sha(other));
    expect((await harness.task(taskId)).status).toBe('SUCCEEDED');
  });
});

describe('persistResult: refusals', () => {
  it('refuses forged URLs (loopback, private, metadata, ::1, IPv4-mapped, foreign host, plain http) without contacting them', async () => {
    const victim = await media({ '/secret': PNG });
    const good = await media({ '/a': PNG });
    const names = {
      'loop.oss-cn-beijing.aliyuncs.com': '127.0.0.1',
      'ten.oss-cn-beijing.aliyuncs.com': '10.0.0.7',
      'home.oss-cn-beijing.aliyuncs.com': '192.168.1.20',
      'meta.oss-cn-beijing.aliyuncs.com': '169.254.169.254',
      'six.oss-cn-beijing.aliyuncs.com': '::1',
      'mapped.oss-cn-beijing.aliyuncs.com': '::ffff:127.0.0.1',
    };
    harness = createHarness({ allowlist: ['*.aliyuncs.com', good.origin], download: { resolve: resolver(names) } });
    const forged = Object.keys(names).map((host, i) => url(i, `https://${host}:${victim.port}/secret`));
    const n = forged.length;
    const { taskId, key } = await harness.seed([
      ...forged,
      url(n, `${victim.origin}/secret`), // not allowlisted
      url(n + 1, `http://loop.oss-cn-beijing.aliyuncs.com:${victim.port}/secret`), // plain http
      url(n + 2, `${good.origin}/a`),
    ]);

    const r = await persistResult(harness.deps, key);

    expect(r.outcome).toBe('persisted');
    expect(victim.connections).toBe(0);
    const task = await harness.task(taskId);
    const codes = task.outputs.map((o) => o.error?.code);
    expect(codes).toEqual([...forged.map(() => 'ForbiddenAddress'), 'NotAllowlisted', 'InsecureScheme', undefined]);
    expect(task.outputs[3]?.error?.message).toContain('169.254.169.254');
    expect(task.outputs[n + 2]).toMatchObject({ contentType: 'image/png', sha256: sha(PNG) });
    expect(harness.mediaKeys()).toEqual([`media/2030/03/04/${taskId}/${n + 2}.png`]);
  });

  it('refuses a redirect off the allowlist, records why, and never contacts the target', async () => {
    const victim = await media({ '/secret': PNG });
    const redirector = await media({ '/a': (res) => res.writeHead(302, { location: `${victim.origin}/secret` }).end() });
    harness = createHarness({ allowlist: [redirector.origin] });
    const { taskId, key } = await harness.seed([url(0, `${redirector.origin}/a`)]);
    await persistResult(harness.deps, key);
    const task = await harness.task(taskId);
    expect(task.outputs[0]?.error).toMatchObject({ code: 'RedirectRefused' });
    expect(task.status).toBe('FAILED');
    expect(task.error).toMatchObject({ code: 'NothingPersisted' });
    expect(victim.connections).toBe(0);
  });

  it('refuses a body over the size cap, declared or streamed, and leaves nothing behind', async () => {
    const big = Buffer.concat([PNG.subarray(0, 8), randomBytes(300_000)]);
    const s = await media({
      '/declared': big,
      '/chunked': (res) => {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(big); // no content-length: chunked
      },
    });
    harness = createHarness({ allowlist: [s.origin], download: { maxBytes: 100_000 } });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/declared`), url(1, `${s.origin}/chunked`)]);
    await persistResult(harness.deps, key);
    const task = await harness.task(taskId);
    expect(task.outputs.map((o) => o.error?.code)).toEqual(['TooLarge', 'TooLarge']);
    expect(harness.mediaKeys()).toEqual([]);
    expect(harness.tmpFiles()).toEqual([]);
  });
});
