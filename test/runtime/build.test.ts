// The build's guard: a function bundle that would carry a local adapter fails the build with the import
// chain that pulled it in; a clean one becomes one minified ESM module that fails clearly in cloud mode.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFunctions, ForbiddenImportError, META_DIR } from '../../scripts/build.ts';

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
