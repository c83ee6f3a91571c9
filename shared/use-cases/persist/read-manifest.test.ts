import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalFsObjectStore } from '../../adapters/local-fs/local-fs-object-store.ts';
import { manifestKey } from '../../domain/manifest.ts';
import { MAX_JSON_DEPTH } from '../../json/parse-json.ts';
import { systemClock } from '../../ports/clock.ts';
import { ManifestInvalidError } from './persist-errors.ts';
import { readManifest } from './read-manifest.ts';

const manifest = (usage: string) =>
  `{"version":1,"taskId":"t1","type":"text-to-image","model":"wanx2.1-t2i-turbo","succeededAt":"2030-01-01T00:00:00.000Z",` +
  `"outputs":[{"index":0,"url":"https://x.aliyuncs.com/a.png","expiresAt":"2030-01-02T00:00:00.000Z","kind":"image"}],"usage":{"deep":${usage}}}`;

describe('readManifest', () => {
  let dir: string;
  let objects: LocalFsObjectStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'manifest-'));
    objects = new LocalFsObjectStore({ dataDir: dir, publicBaseUrl: () => 'http://127.0.0.1:9', clock: systemClock });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a manifest nested 5,000 deep as invalid, naming the limit', async () => {
    await objects.put(manifestKey('t1'), Buffer.from(manifest('['.repeat(5_000) + ']'.repeat(5_000))), { contentType: 'application/json' });
    const read = readManifest(objects, manifestKey('t1'));
    await expect(read).rejects.toBeInstanceOf(ManifestInvalidError);
    await expect(read).rejects.toThrow(`more than ${MAX_JSON_DEPTH} levels deep`);
  });

  it('reads a manifest with ordinary nesting', async () => {
    await objects.put(manifestKey('t1'), Buffer.from(manifest('[[1]]')), { contentType: 'application/json' });
    expect((await readManifest(objects, manifestKey('t1'))).usage).toEqual({ deep: [[1]] });
  });
});
