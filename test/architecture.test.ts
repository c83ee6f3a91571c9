// The layer rules of docs/architecture.md, checked on every import of every source file (type imports
// included: a type from the wrong layer is the first step of a dependency on it).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface Import {
  from: string;
  /** Repository-relative path for a relative import, else the bare specifier (`undici`, `node:dns`). */
  target: string;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: Import[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]!;
    out.push({ from: file, target: spec.startsWith('.') ? normalize(join(dirname(file), spec)) : spec });
  }
  return out;
}

const sources = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'shared', 'functions'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
const imports = sources.flatMap(importsOf);

const inside = (dir: string) => (path: string) => path.startsWith(dir);
const NETWORK = ['undici', 'node:http', 'node:https', 'node:net', 'node:dns', 'node:dns/promises', 'node:tls'];
const SDKS = ['openai', 'ali-oss', 'tablestore', '@alicloud/'];
const isSdk = (t: string) => SDKS.some((s) => t === s || t.startsWith(s.endsWith('/') ? s : `${s}/`));

/** The imports of files under `layer` that break a rule, as `file → target`. */
function breaking(layer: string, forbidden: (target: string, from: string) => boolean): string[] {
  return imports.filter((i) => inside(layer)(i.from) && forbidden(i.target, i.from)).map((i) => `${i.from} → ${i.target}`);
}

/** What use cases may know of the DashScope client: its typed failures and how they are sorted (plain code). */
const UPSTREAM_VOCABULARY = ['shared/dashscope/errors.ts', 'shared/dashscope/failure-kind.ts'];
const projectDir = (t: string) => /^(shared|functions|dev|test|bench|scripts)\//.test(t);

describe('layer rules (docs/architecture.md)', () => {
  it('finds the imports it checks', () => {
    expect(sources.length).toBeGreaterThan(50);
    expect(imports.some((i) => i.from.startsWith('shared/use-cases/') && i.target.startsWith('shared/domain/'))).toBe(true);
  });

  it('1. the domain imports nothing of the project outside itself', () => {
    expect(breaking('shared/domain/', (t) => projectDir(t) && !t.startsWith('shared/domain/'))).toEqual([]);
  });

  it('2. ports import only the domain, other ports and the cancellation type', () => {
    const allowed = ['shared/domain/', 'shared/ports/', 'shared/streams/cancellation.ts'];
    expect(breaking('shared/ports/', (t) => projectDir(t) && !allowed.some((a) => t.startsWith(a)))).toEqual([]);
  });

  it('3. use cases reach HTTP, sockets, adapters, composition roots and the DashScope client only through ports', () => {
    const forbidden = (t: string) =>
      NETWORK.includes(t) ||
      isSdk(t) ||
      ['shared/http/', 'shared/adapters/', 'shared/deps/', 'dev/', 'functions/', 'test/'].some((d) => t.startsWith(d)) ||
      (t.startsWith('shared/dashscope/') && !UPSTREAM_VOCABULARY.includes(t));
    expect(breaking('shared/use-cases/', forbidden)).toEqual([]);
  });

  it('4. adapters never import use cases, the HTTP edge, composition roots or entry points', () => {
    expect(breaking('shared/adapters/', (t) => ['shared/use-cases/', 'shared/http/', 'shared/deps/', 'functions/', 'dev/'].some((d) => t.startsWith(d)))).toEqual([]);
  });

  it('5. entry points never import adapters, another function, an SDK, undici or DNS', () => {
    const forbidden = (t: string, from: string) =>
      t.startsWith('shared/adapters/') || isSdk(t) || ['undici', 'node:dns', 'node:dns/promises'].includes(t) || (t.startsWith('functions/') && t.split('/')[1] !== from.split('/')[1]);
    expect(breaking('functions/', forbidden)).toEqual([]);
  });

  it('7. only the HTTP edge speaks of statuses: no statusCode outside shared/http, and entry points throw no HttpError', () => {
    // a status to answer with is declared or set as `statusCode: …` / `statusCode = …` (reading a response's is fine)
    const speaking = sources.filter((f) => !f.startsWith('shared/http/') && /\bstatusCode\??\s*[:=](?!=)/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(speaking).toEqual([]);
    expect(breaking('functions/', (t) => t === 'shared/http/errors.ts')).toEqual([]);
  });

  it('6. nothing under shared/ or functions/ imports dev/ or test/', () => {
    expect(imports.filter((i) => i.target.startsWith('dev/') || i.target.startsWith('test/')).map((i) => `${i.from} → ${i.target}`)).toEqual([]);
  });
});
