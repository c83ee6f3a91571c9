// The npm test scripts: each `test:<part>` runs one vitest project, and the projects together hold every
// test file of the repository exactly once, so `npm test` (all projects) misses nothing.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const scripts = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;

/** What vitest itself would run: every test file with the project it belongs to. */
function listed(): { file: string; project: string }[] {
  const out = execFileSync(process.execPath, [`${ROOT}node_modules/vitest/vitest.mjs`, 'list', '--filesOnly', '--json'], { cwd: ROOT, encoding: 'utf8' });
  return (JSON.parse(out) as { file: string; projectName?: string }[]).map((f) => ({ file: relative(ROOT, f.file), project: f.projectName ?? '' }));
}

describe('npm test scripts', () => {
  const files = listed();
  const tracked = execFileSync('git', ['ls-files', '*.test.ts'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && !f.includes('/fixtures/'));

  it('puts every test file of the repository in exactly one project', () => {
    expect(files.map((f) => f.file).sort()).toEqual([...tracked].sort());
    for (const f of files) expect(f.project, f.file).not.toBe('');
  });

  for (const part of ['unit', 'contract', 'integration', 'e2e']) {
    it(`runs the ${part} project, which has tests, with npm run test:${part}`, () => {
      expect(scripts[`test:${part}`]).toBe(`vitest run --project ${part}`);
      expect(files.filter((f) => f.project === part).length).toBeGreaterThan(0);
    });
  }

  it('runs every project with npm test', () => {
    expect(scripts.test).toBe('vitest run');
  });
});
