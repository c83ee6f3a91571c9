// `npm run build`: one esbuild bundle per function (index.ts, and server.ts for web functions), Node 20 ESM.
// It fails if a bundle pulls in a local adapter, SQLite's native module or dev/: none belongs on FC.
import { build, type Metafile } from 'esbuild';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Inputs no cloud bundle may contain (matched against esbuild's metafile input paths). */
export const FORBIDDEN_INPUTS: readonly RegExp[] = [
  /(^|\/)shared\/adapters\/sqlite\//,
  /(^|\/)shared\/adapters\/local-fs\//,
  /(^|\/)shared\/adapters\/local-bus\//,
  /(^|\/)shared\/deps\/local-deps\.ts$/,
  /(^|\/)node_modules\/better-sqlite3\//,
  /(^|\/)node_modules\/ali-oss\//,
  /^dev\//,
];

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
  bytes: number;
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
    for (const base of ['index', 'server']) {
      const file = join(options.functionsDir, fn, `${base}.ts`);
      if (!existsSync(file)) continue;
      const outfile = join(options.outDir, fn, `${base}.mjs`);
      const result = await build({
        entryPoints: [file],
        outfile,
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'esm',
        minify: false,
        sourcemap: true,
        metafile: true,
        absWorkingDir: options.root,
        logLevel: 'warning',
        // every bundle carries the cloud composition root (it registers itself with getDeps)
        inject: [join(options.root, 'shared/deps/cloud-deps.ts')],
        // Bundled CommonJS dependencies still call require(); ESM output has none, so provide it.
        banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      });
      const entry = relative(options.root, file).replaceAll('\\', '/');
      const bad = forbiddenInputs(result.metafile, entry);
      if (bad.length) problems.push(`${entry} bundles code that must stay local:\n  ${bad.join('\n  ')}`);
      const out = Object.entries(result.metafile.outputs).find(([p]) => p.endsWith('.mjs'));
      built.push({ fn, entry, outfile, bytes: out?.[1].bytes ?? 0 });
    }
  }
  if (problems.length) {
    rmSync(options.outDir, { recursive: true, force: true });
    throw new ForbiddenImportError(`cloud bundles must not contain local adapters, better-sqlite3 or dev/ (import them only from the local runtime):\n${problems.join('\n')}`);
  }
  return built;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const root = fileURLToPath(new URL('../', import.meta.url));
  try {
    const bundles = await buildFunctions({ root, functionsDir: join(root, 'functions'), outDir: join(root, 'dist') });
    for (const b of bundles) process.stdout.write(`${b.entry} → ${relative(root, b.outfile)} (${(b.bytes / 1024).toFixed(0)} KiB)\n`);
  } catch (e) {
    process.stderr.write(`build failed: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
