// npm run validate-finetune: the table by line and exit 1 for a file with seeded defects, 0 for a clean one,
// the bucket report's JSON with --json, and 2 for a wrong command or a file that cannot be read.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runValidateFinetune, type CliIo } from './validate-finetune-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'validate-ft-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const example = (i: number) => JSON.stringify({ messages: [{ role: 'user', content: `q${i}` }, { role: 'assistant', content: `a${i}` }] });

function io(sizeOverride?: number): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    readFile: (p) => readFile(p),
    fileSize: async (p) => sizeOverride ?? (await stat(p)).size,
    out: (l) => void lines.push(l),
    err: (l) => void errors.push(l),
  };
}

describe('validate-finetune', () => {
  it('prints each seeded defect as a row with its line and code, and exits 1', async () => {
    const rows = Array.from({ length: 52 }, (_, i) => example(i));
    rows[1] = '{oops';
    rows[6] = JSON.stringify({ messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }, { role: 'user', content: 'again?' }] });
    rows[11] = example(0);
    const file = join(dir, 'seeded.jsonl');
    writeFileSync(file, `${rows.join('\n')}\n`);
    const out = io();
    expect(await runValidateFinetune([file], out)).toBe(1);
    expect(out.lines[0]).toBe(`${file}: 52 examples, 3 errors, 0 notes — NOT usable for fine-tuning`);
    expect(out.lines.slice(1)).toEqual([
      'errors:',
      '  line  code                message',
      '     2  invalid_json        not valid JSON (each line must be one JSON object)',
      "     7  last_not_assistant  the last turn must be the assistant's (the answer to learn)",
      '    12  duplicate_example   the same example as line 1',
    ]);
  });

  it('exits 0 for a clean file and prints the report as JSON with --json', async () => {
    const file = join(dir, 'clean.jsonl');
    writeFileSync(file, `${Array.from({ length: 50 }, (_, i) => example(i)).join('\n')}\n`);
    const out = io();
    expect(await runValidateFinetune([file, '--json'], out)).toBe(0);
    expect(JSON.parse(out.lines.join('\n'))).toEqual({ ok: true, examples: 50, errors: [], notes: [] });
  });

  it('refuses a file over the size cap by its size alone', async () => {
    const file = join(dir, 'clean.jsonl');
    const out = io(1024 ** 3);
    expect(await runValidateFinetune([file], out)).toBe(1);
    expect(out.lines.join('\n')).toContain('file_too_large');
  });

  it('exits 2 with the usage for a wrong command line, and for a missing file', async () => {
    const none = io();
    expect(await runValidateFinetune([], none)).toBe(2);
    expect(none.errors).toEqual(['usage: npm run validate-finetune -- <file.jsonl> [--json]']);
    const missing = io();
    expect(await runValidateFinetune([join(dir, 'nope.jsonl')], missing)).toBe(2);
    expect(missing.errors[0]).toMatch(/cannot read .*nope\.jsonl: ENOENT/);
  });
});
