// persistResult against the local adapters and small origin servers: what is copied, refused, expired or
// retried, and that nothing partial or forbidden ever happens.
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManifestOutput } from '../../shared/domain/manifest.ts';
import { EventPublishError } from '../../shared/ports/event-bus.ts';
import { PersistIntegrityError, PersistRetryableError, PersistTaskNotFoundError, TaskNotReadyError } from '../../shared/use-cases/persist/persist-errors.ts';
import { persistResult } from '../../shared/use-cases/persist/persist-result.ts';
import type { ResolvedAddress } from '../../shared/adapters/result-download/safe-download.ts';
import { createHarness, type Harness } from './harness.ts';
import { startOriginServer, type OriginServer } from './origin-server.ts';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(3000)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2000)]);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const later = () => new Date(Date.now() + 24 * 3600_000).toISOString();

let harness: Harness | undefined;
const servers: OriginServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await harness?.close();
  harness = undefined;
});

async function media(routes: Record<string, Buffer | ((res: ServerResponse) => void)>): Promise<OriginServer> {
  const s = await startOriginServer((req, res) => {
    const route = routes[(req.url ?? '').split('?')[0] ?? ''];
    if (!route) return void res.writeHead(404).end();
    // The declared type is deliberately wrong: the bytes decide.
    if (Buffer.isBuffer(route)) res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': route.length }).end(route);
    else route(res);
  });
  servers.push(s);
  return s;
}

const resolver = (table: Record<string, string>) => async (host: string): Promise<ResolvedAddress[]> => {
  const address = table[host];
  if (!address) throw new Error(`ENOTFOUND ${host}`);
  return [{ address, family: address.includes(':') ? 6 : 4 }];
};

const url = (index: number, u: string, expiresAt = later()): ManifestOutput => ({ index, url: u, expiresAt, kind: 'image' });

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

describe('persistResult: failures that another delivery fixes', () => {
  it('fails the invocation on a reset mid-download, leaves nothing under the key, and completes on the next delivery', async () => {
    const body = Buffer.concat([PNG.subarray(0, 8), randomBytes(200_000)]);
    let calls = 0;
    const s = await media({
      '/a': (res) => {
        calls++;
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length });
        if (calls === 1) {
          res.write(body.subarray(0, 50_000));
          setTimeout(() => res.socket?.destroy(), 20);
        } else res.end(body);
      },
    });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a`)]);

    const err = await persistResult(harness.deps, key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistRetryableError);
    expect(harness.mediaKeys()).toEqual([]);
    expect(harness.tmpFiles()).toEqual([]);
    expect((await harness.task(taskId)).status).toBe('SUCCEEDED');

    await persistResult(harness.deps, key);
    expect((await harness.task(taskId)).outputs[0]).toMatchObject({ bytes: body.length, sha256: sha(body) });
  });

  it('times out a body that stalls mid-way, leaves nothing behind, and asks for another delivery', async () => {
    const s = await media({
      '/a': (res) => {
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': 100_000 });
        res.write(PNG.subarray(0, 2_000)); // then nothing more
      },
    });
    harness = createHarness({ allowlist: [s.origin], download: { timeoutMs: 300 } });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a`)]);
    const err = await persistResult(harness.deps, key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistRetryableError);
    expect((err as PersistRetryableError).failures).toMatchObject([{ index: 0, code: 'Timeout' }]);
    expect(harness.mediaKeys()).toEqual([]);
    expect(harness.tmpFiles()).toEqual([]);
    expect((await harness.task(taskId)).status).toBe('SUCCEEDED');
  });

  it('retries a 5xx and a 403 before the URL expires instead of giving up on the result', async () => {
    const s = await media({ '/busy': (res) => res.writeHead(503).end(), '/denied': (res) => res.writeHead(403).end() });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/busy`), url(1, `${s.origin}/denied`)]);
    const err = await persistResult(harness.deps, key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistRetryableError);
    expect((err as PersistRetryableError).failures.map((f) => f.code)).toEqual(['SourceUnavailable', 'SourceStatus']);
    const task = await harness.task(taskId);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.outputs.map((o) => o.error?.code)).toEqual(['SourceUnavailable', 'SourceStatus']);
  });

  it('waits for a task still RUNNING, then fails the invocation and keeps the manifest', async () => {
    const s = await media({ '/a': PNG });
    harness = createHarness({ allowlist: [s.origin] });
    const { key } = await harness.seed([url(0, `${s.origin}/a`)], { status: 'RUNNING' });
    await expect(persistResult(harness.deps, key)).rejects.toBeInstanceOf(TaskNotReadyError);
    expect(await harness.objects.head(key)).toBeDefined();
    expect(s.requests).toEqual([]);
  });

  it('names a missing task clearly and keeps the manifest', async () => {
    harness = createHarness();
    const { key } = await harness.seed([url(0, 'https://x.aliyuncs.com/a')], { withoutTask: true });
    await expect(persistResult(harness.deps, key)).rejects.toBeInstanceOf(PersistTaskNotFoundError);
    expect(await harness.objects.head(key)).toBeDefined();
  });
});

describe('persistResult: expiry', () => {
  it('marks the task EXPIRED with the reason when the manifest says the URL is past, without fetching it', async () => {
    const s = await media({ '/a': PNG });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a`, new Date(Date.now() - 1000).toISOString())]);
    const r = await persistResult(harness.deps, key);
    expect(r.outcome).toBe('expired');
    const task = await harness.task(taskId);
    expect(task.status).toBe('EXPIRED');
    expect(task.error).toMatchObject({ code: 'ResultExpired' });
    expect(task.error?.message).toContain('expired');
    expect(s.requests).toEqual([]);
    expect(harness.eventsOf('task.expired', taskId)).toBe(1);
  });

  it('marks the task EXPIRED when the source answers 403 past the URL Expires, keeping what was copied', async () => {
    const s = await media({ '/ok': PNG, '/gone': (res) => res.writeHead(403, { date: new Date(Date.now() + 3_600_000).toUTCString() }).end() });
    harness = createHarness({ allowlist: [s.origin] });
    const expires = Math.floor(Date.now() / 1000) + 600; // our clock: still valid; the source's Date says past
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/ok`), url(1, `${s.origin}/gone?Expires=${expires}`)]);
    await persistResult(harness.deps, key);
    const task = await harness.task(taskId);
    expect(task.status).toBe('EXPIRED');
    expect(task.outputs[0]).toMatchObject({ contentType: 'image/png', sha256: sha(PNG) });
    expect(task.outputs[1]?.error).toMatchObject({ code: 'ResultExpired' });
  });
});

describe('persistResult: a task store write that loses a race', () => {
  it('re-reads and persists when another writer bumped the row meanwhile', async () => {
    const s = await media({ '/a': PNG });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a`)]);
    const h = harness;
    const realPut = h.objects.put.bind(h.objects);
    h.objects.put = async (...args) => {
      const meta = await realPut(...args);
      const t = await h.task(taskId);
      await h.tasks.update(taskId, t.version, { leaseOwner: 'poller', leaseUntil: new Date(Date.now() + 60_000).toISOString() }, new Date());
      return meta;
    };
    await persistResult(h.deps, key);
    const task = await h.task(taskId);
    expect(task.status).toBe('PERSISTED');
    expect(task.leaseOwner).toBeUndefined();
    expect(h.eventsOf('task.persisted', taskId)).toBe(1);
  });

  it('re-publishes the event in place when the bus refused it after the status was written', async () => {
    const s = await media({ '/a': PNG });
    harness = createHarness({ allowlist: [s.origin] });
    const { taskId, key } = await harness.seed([url(0, `${s.origin}/a`)]);
    const bus = harness.events;
    let refusals = 1;
    const deps = {
      ...harness.deps,
      events: {
        publish: async (events: Parameters<typeof bus.publish>[0]) => {
          if (refusals-- > 0) throw new EventPublishError('bus unavailable');
          await bus.publish(events);
        },
      },
    };
    const r = await persistResult(deps, key);
    expect(r.outcome).toBe('persisted');
    expect((await harness.task(taskId)).status).toBe('PERSISTED');
    expect(harness.eventsOf('task.persisted', taskId)).toBe(1);
  });
});
