// The build's guard: a function bundle that would carry a local adapter fails the build with the import
// chain that pulled it in; a clean one becomes one minified ESM module that fails clearly in cloud mode.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Metafile } from 'esbuild';
import { buildFunctions, forbiddenInputs, ForbiddenImportError, META_DIR } from '../../scripts/build.ts';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(import.meta.dirname, 'fixtures');
const outDirs: string[] = [];
const outDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'build-'));
  outDirs.push(d);
  return join(d, 'dist');
};
afterEach(() => {
  for (const d of outDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('build', () => {
  it('fails when a function bundle would contain a local adapter, naming the import chain', async () => {
    const out = outDir();
    const err = await buildFunctions({ root, functionsDir: join(fixtures, 'build-leaky'), outDir: out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenImportError);
    expect((err as Error).message).toContain('test/runtime/fixtures/build-leaky/leaky-fn/index.ts → shared/adapters/local-bus/local-event-bus.ts');
    expect(existsSync(out)).toBe(false);
  });

  it('counts ali-oss (kept only for tests) among what no function bundle may carry', () => {
    const entry = 'functions/f/index.ts';
    const sdk = 'node_modules/ali-oss/lib/client.js';
    const meta = { inputs: { [entry]: { bytes: 1, imports: [{ path: sdk, kind: 'import-statement' }] }, [sdk]: { bytes: 1, imports: [] } }, outputs: {} } as unknown as Metafile;
    expect(forbiddenInputs(meta, entry)).toEqual([`${entry} → ${sdk}`]);
  });

  it('counts any Alibaba Cloud SDK (@alicloud/*, kept only for tests and tooling) among what no function bundle may carry', () => {
    const entry = 'functions/f/index.ts';
    const sdk = '../../main/node_modules/@alicloud/eventbridge/dist/client.js';
    const util = '../../main/node_modules/@alicloud/tea-util/dist/client.js';
    const meta = {
      inputs: { [entry]: { bytes: 1, imports: [{ path: sdk, kind: 'import-statement' }] }, [sdk]: { bytes: 1, imports: [{ path: util, kind: 'require-call' }] }, [util]: { bytes: 1, imports: [] } },
      outputs: {},
    } as unknown as Metafile;
    expect(forbiddenInputs(meta, entry)).toEqual([`${entry} → ${sdk}`, `${entry} → ${sdk} → ${util}`]);
  });

  it('refuses the tablestore SDK in a function bundle: the client speaks Table Store itself', () => {
    const meta = {
      inputs: {
        'functions/f/index.ts': { bytes: 1, imports: [{ path: 'node_modules/tablestore/index.js', kind: 'import-statement' }] },
        'node_modules/tablestore/index.js': { bytes: 1, imports: [] },
      },
      outputs: {},
    } as unknown as Metafile;
    expect(forbiddenInputs(meta, 'functions/f/index.ts')).toEqual(['functions/f/index.ts → node_modules/tablestore/index.js']);
  });

  it('bundles each function into one minified module (its server, else its handler) with maps and licences outside the code folder', async () => {
    const out = outDir();
    const built = await buildFunctions({ root, functionsDir: join(fixtures, 'build-clean'), outDir: out });
    expect(built.map((b) => b.outfile)).toEqual([join(out, 'clean-fn', 'server.mjs'), join(out, 'handler-fn', 'index.mjs')]);
    // the code package is the bundle alone, with no link to a map it does not carry
    expect(readdirSync(join(out, 'clean-fn'))).toEqual(['server.mjs']);
    expect(readFileSync(join(out, 'clean-fn', 'server.mjs'), 'utf8')).not.toMatch(/sourceMappingURL/);
    expect(readdirSync(join(out, META_DIR, 'clean-fn'))).toEqual(expect.arrayContaining(['metafile.json', 'server.mjs.map']));
    for (const b of built) {
      expect(b.bytes).toBe(statSync(b.outfile).size);
      expect(b.zippedBytes).toBeGreaterThan(0);
      expect(b.zippedBytes).toBeLessThan(b.bytes);
    }
  });

  it('gives a bundle the cloud root, which names what cloud mode lacks', async () => {
    const out = outDir();
    await buildFunctions({ root, functionsDir: join(fixtures, 'build-clean'), outDir: out });
    const mod = (await import(pathToFileURL(join(out, 'handler-fn', 'index.mjs')).href)) as { marker: string; handler: (e: Buffer, c: unknown) => Promise<unknown> };
    expect(mod.marker).toBe('handler-fixture');
    const saved = { ...process.env };
    try {
      process.env.RUNTIME_MODE = 'cloud';
      process.env.DASHSCOPE_API_KEY = 'sk-test-not-used';
      // the cloud root is in the bundle: it reads the environment and names what is missing
      await expect(mod.handler(Buffer.from('{}'), { requestId: 'r' })).rejects.toThrow(/missing in cloud mode: OSS_BUCKET, OTS_INSTANCE, OSS_REGION, OTS_ENDPOINT/);
    } finally {
      process.env = saved;
    }
  });
});
