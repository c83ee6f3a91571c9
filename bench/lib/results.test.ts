// The results files of a bench run: their names, the Markdown a reader sees, and the JSON of raw numbers.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { markdownTable, renderJson, renderMarkdown, resultsPaths, verdictLine, writeResults, type RunResults } from './results.ts';

const run = (over: Partial<RunResults> = {}): RunResults => ({
  bench: 'poll',
  command: 'npx tsx bench/poll.ts',
  startedAt: new Date('2026-12-03T11:20:05.000Z'),
  finishedAt: new Date('2026-12-03T11:21:10.400Z'),
  machine: { cpus: 2, cpuModel: 'Test CPU', platform: 'linux x64', node: 'v20.20.2' },
  load: { start: 0.5, end: 1.25 },
  plan: { tasks: 600, secondsPerRun: 30 },
  verdicts: [
    { label: '1 invocation: peak task queries ≤ 20/s', pass: true, detail: 'peak 9/s' },
    { label: 'a | b', pass: false, detail: '21/s' },
    { label: 'not judged', pass: undefined, detail: 'no sample' },
  ],
  tables: [{ title: 'tasks settled', rows: [['scenario', 'tasks/min'], ['1 invocation', '482']], notes: ['one note'] }],
  data: { scenarios: [{ settled: 241, seconds: 30.01 }] },
  ...over,
});

describe('results files', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('names a full run <bench>.md/.json and any other run <bench>.<variant>.*', () => {
    expect(resultsPaths('persist', undefined, '/r')).toEqual({ md: '/r/persist.md', json: '/r/persist.json' });
    expect(resultsPaths('persist', 'quick', '/r')).toEqual({ md: '/r/persist.quick.md', json: '/r/persist.quick.json' });
  });

  it('renders date, machine, load, plan, the verdicts and each table in Markdown', () => {
    expect(renderMarkdown(run(), 'poll.json')).toBe(
      [
        '# poll: last full run',
        '',
        'Written by `npx tsx bench/poll.ts`; the next such run overwrites it. Raw numbers: `poll.json`.',
        '',
        '| run |  |',
        '|---|---|',
        '| date | 2026-12-03 11:20 UTC, took 65 s |',
        '| machine | 2 × Test CPU, linux x64 |',
        '| Node | v20.20.2 |',
        '| load average (1 min) | 0.50 at the start, 1.25 at the end |',
        '| plan | tasks 600, secondsPerRun 30 |',
        '| verdicts | 1 of 3 passed |',
        '',
        '## Verdicts',
        '',
        '|  | target | measured |',
        '|---|---|---|',
        '| PASS | 1 invocation: peak task queries ≤ 20/s | peak 9/s |',
        '| FAIL | a \\| b | 21/s |',
        '| N/A | not judged | no sample |',
        '',
        '## tasks settled',
        '',
        '| scenario | tasks/min |',
        '|---|---|',
        '| 1 invocation | 482 |',
        '',
        '- one note',
        '',
      ].join('\n'),
    );
  });

  it('says in the title when a run is not a full one', () => {
    expect(renderMarkdown(run({ variant: 'quick', command: 'npx tsx bench/poll.ts --quick' }), 'poll.quick.json').split('\n')[0]).toBe(
      '# poll: last quick run (not a full run)',
    );
  });

  it('keeps the raw numbers, the run kind and ISO dates in the JSON', () => {
    expect(JSON.parse(renderJson(run({ variant: 'quick' })))).toEqual({
      bench: 'poll',
      run: 'quick',
      command: 'npx tsx bench/poll.ts',
      startedAt: '2026-12-03T11:20:05.000Z',
      finishedAt: '2026-12-03T11:21:10.400Z',
      machine: { cpus: 2, cpuModel: 'Test CPU', platform: 'linux x64', node: 'v20.20.2' },
      load: { start: 0.5, end: 1.25 },
      plan: { tasks: 600, secondsPerRun: 30 },
      verdicts: run().verdicts.map((v) => ({ ...v, pass: v.pass ?? null })),
      data: { scenarios: [{ settled: 241, seconds: 30.01 }] },
    });
  });

  it('writes both files, overwriting the previous run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-results-'));
    dirs.push(dir);
    await writeResults(run({ data: { first: true } }), join(dir, 'results'));
    const paths = await writeResults(run(), join(dir, 'results'));
    expect((await readdir(join(dir, 'results'))).sort()).toEqual(['poll.json', 'poll.md']);
    expect(await readFile(paths.md, 'utf8')).toBe(renderMarkdown(run(), 'poll.json'));
    expect(JSON.parse(await readFile(paths.json, 'utf8')).data).toEqual(run().data);
  });

  it('prints a verdict as the benches do', () => {
    expect(verdictLine({ label: 'x ≤ 1', pass: true, detail: '0.5' })).toBe('PASS  x ≤ 1: 0.5');
    expect(verdictLine({ label: 'y', pass: undefined, detail: 'none' })).toBe('N/A   y: none');
    expect(markdownTable([])).toBe('');
  });
});
