// `npm run build`: one minified esbuild bundle per function, dist/<fn>/server.mjs (index.mjs for a function
// without a server.ts): the whole deployed code. Source maps, licences and the metafile go to dist/_meta/<fn>/,
// outside the code package. It fails if a bundle pulls in a local adapter, SQLite, dev/ or a vendor SDK.
import { build, type BuildOptions as BuildOptionsOfEsbuild, type Metafile } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';

/** Inputs no cloud bundle may contain (matched against esbuild's metafile input paths). */
export const FORBIDDEN_INPUTS: readonly RegExp[] = [
  /(^|\/)shared\/adapters\/sqlite\//,
  /(^|\/)shared\/adapters\/local-fs\//,
  /(^|\/)shared\/adapters\/local-bus\//,
  /(^|\/)shared\/deps\/local-deps\.ts$/,
  /(^|\/)node_modules\/better-sqlite3\//,
  // Alibaba Cloud SDKs (@alicloud/*, ali-oss, tablestore) are for tests and tooling: the adapters speak the wire themselves
  /(^|\/)node_modules\/@alicloud\//,
  /(^|\/)node_modules\/ali-oss\//,
  /(^|\/)node_modules\/tablestore\//,
  /^dev\//,
  // every outbound call goes over node:http(s); undici is for tests and benches (docs/decisions/0004-node-http-transport.md)
  /(^|\/)node_modules\/undici\//,
];

/** Where the parts of a build that are not deployed go: dist/_meta/<fn>/ (maps, licences, metafile). */
export const META_DIR = '_meta';

/**
 * How a function's code is bundled (what the benches and the bundled-store test reuse, so they measure what is
 * deployed): one minified Node ESM file, with require() provided for bundled CommonJS dependencies.
 */
export function bundleOptions(root: string): BuildOptionsOfEsbuild {
  return {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    absWorkingDir: root,
    // Bundled CommonJS dependencies still call require(); ESM output has none, so provide it.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  };
}

export class ForbiddenImportError extends Error {
  override name = 'ForbiddenImportError';
}

export interface BuildOptions {
  /** Folder holding one folder per function (default `<repo>/functions`). */
  functionsDir: string;
  /** Output folder (default `<repo>/dist`); emptied first. */
  outDir: string;
  /** Paths in error messages are shown relative to this. */
  root: string;
}

export interface BuiltBundle {
  fn: string;
  entry: string;
  outfile: string;
  /** The bundle's size: the function's whole code. */
  bytes: number;
  /** About what the code package weighs zipped (deflate, level 9), as FC counts a code package. */
  zippedBytes: number;
}

/** How `input` got into the bundle: the import chain from the entry, for the error message. */
function importChain(meta: Metafile, entry: string, target: string): string[] {
  const parents = new Map<string, string>();
  const queue = [entry];
  const seen = new Set(queue);
  while (queue.length) {
    const cur = queue.shift()!;
    if (cur === target) break;
    for (const imp of meta.inputs[cur]?.imports ?? []) {
      if (imp.external || seen.has(imp.path)) continue;
      seen.add(imp.path);
      parents.set(imp.path, cur);
      queue.push(imp.path);
    }
  }
  const chain = [target];
  while (parents.has(chain[0]!)) chain.unshift(parents.get(chain[0]!)!);
  return chain;
}

export function forbiddenInputs(meta: Metafile, entry: string): string[] {
  return Object.keys(meta.inputs)
    .filter((input) => FORBIDDEN_INPUTS.some((re) => re.test(input.replaceAll('\\', '/'))))
    .map((input) => importChain(meta, entry, input).join(' → '));
}

export async function buildFunctions(options: BuildOptions): Promise<BuiltBundle[]> {
  const names = existsSync(options.functionsDir)
    ? readdirSync(options.functionsDir, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(options.functionsDir, d.name, 'index.ts'))).map((d) => d.name)
    : [];
  if (!names.length) throw new Error(`no functions found under ${options.functionsDir} (expected <name>/index.ts)`);
  rmSync(options.outDir, { recursive: true, force: true });
  const built: BuiltBundle[] = [];
  const problems: string[] = [];
  for (const fn of names.sort()) {
    // a web function (custom runtime) is its server; a function without one is its handler module
    const base = existsSync(join(options.functionsDir, fn, 'server.ts')) ? 'server' : 'index';
    const file = join(options.functionsDir, fn, `${base}.ts`);
    const outfile = join(options.outDir, fn, `${base}.mjs`);
    const result = await build({
      ...bundleOptions(options.root),
      entryPoints: [file],
      outfile,
      // kept beside the bundle at first, moved to dist/_meta/<fn>/ below: the code package has no link to it
      sourcemap: 'external',
      legalComments: 'external',
      metafile: true,
      logLevel: 'warning',
      // every bundle carries the cloud composition root (it registers itself with getDeps)
      inject: [join(options.root, 'shared/deps/cloud-deps.ts')],
    });
    const entry = relative(options.root, file).replaceAll('\\', '/');
    const bad = forbiddenInputs(result.metafile, entry);
    if (bad.length) problems.push(`${entry} bundles code that must stay local:\n  ${bad.join('\n  ')}`);
    const meta = join(options.outDir, META_DIR, fn);
    mkdirSync(meta, { recursive: true });
    for (const extra of readdirSync(join(options.outDir, fn)).filter((f) => f !== basename(outfile))) renameSync(join(options.outDir, fn, extra), join(meta, extra));
    writeFileSync(join(meta, 'metafile.json'), JSON.stringify(result.metafile));
    const code = readFileSync(outfile);
    built.push({ fn, entry, outfile, bytes: code.length, zippedBytes: deflateRawSync(code, { level: 9 }).length });
  }
  if (problems.length) {
    rmSync(options.outDir, { recursive: true, force: true });
    throw new ForbiddenImportError(`cloud bundles must not contain local adapters, better-sqlite3, an Alibaba Cloud SDK (@alicloud/*, ali-oss, tablestore) or dev/ (import them only from the local runtime):\n${problems.join('\n')}`);
  }
  return built;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const root = fileURLToPath(new URL('../', import.meta.url));
  try {
    const bundles = await buildFunctions({ root, functionsDir: join(root, 'functions'), outDir: join(root, 'dist') });
    for (const b of bundles) process.stdout.write(`${b.entry} → ${relative(root, b.outfile)} (${(b.bytes / 1024).toFixed(0)} KiB, ${(b.zippedBytes / 1024).toFixed(0)} KiB zipped)\n`);
  } catch (e) {
    process.stderr.write(`build failed: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
