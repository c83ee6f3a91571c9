// The results file of a bench run: verdicts and figures as Markdown (`bench/results/<bench>.md`) and the raw
// numbers as JSON (`<bench>.json`); a full run overwrites them, any other run writes `<bench>.<variant>.*`.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** One target of a bench: PASS, FAIL, or N/A when it could not be judged (pass undefined). */
export interface Verdict {
  label: string;
  pass: boolean | undefined;
  detail: string;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  platform: string;
  node: string;
}

/** A table of figures: the first row is the header. */
export interface FigureTable {
  title: string;
  rows: string[][];
  /** Lines printed under the table (noise, CPU time, failures). */
  notes?: string[];
}

export interface RunResults {
  bench: string;
  /** Undefined for a full run (the bench's default plan); otherwise what differs, e.g. 'quick'. */
  variant?: string | undefined;
  /** The command that produced the run, as a user would type it. */
  command: string;
  startedAt: Date;
  finishedAt: Date;
  machine: Machine;
  /** Load average (1 min) at the start and the end: other work on the machine skews every figure. */
  load: { start: number; end: number };
  /** What was run: request counts, sizes, rounds. */
  plan: Record<string, unknown>;
  verdicts: Verdict[];
  tables: FigureTable[];
  notes?: string[];
  /** The raw numbers behind the tables, for the JSON file only. */
  data: unknown;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return { cpus: cpus.length, cpuModel: cpus[0]?.model.trim() ?? 'unknown', platform: `${process.platform} ${process.arch}`, node: process.version };
}

export const load1 = (): number => os.loadavg()[0] ?? Number.NaN;

export function verdictMark(v: Verdict): 'PASS' | 'FAIL' | 'N/A' {
  return v.pass === undefined ? 'N/A' : v.pass ? 'PASS' : 'FAIL';
}

/** A verdict as the benches print it: `PASS  label: detail`. */
export function verdictLine(v: Verdict): string {
  return `${verdictMark(v).padEnd(4)}  ${v.label}: ${v.detail}`;
}

/** The results file names of a run: `<bench>.md`/`.json` for a full run, `<bench>.<variant>.*` otherwise. */
export function resultsPaths(bench: string, variant: string | undefined, dir = RESULTS_DIR): { md: string; json: string } {
  const base = join(dir, variant ? `${bench}.${variant}` : bench);
  return { md: `${base}.md`, json: `${base}.json` };
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(rows: readonly (readonly string[])[]): string {
  const [head, ...body] = rows;
  if (!head) return '';
  const line = (r: readonly string[]) => `| ${r.map(cell).join(' | ')} |`;
  return [line(head), `|${head.map(() => '---').join('|')}|`, ...body.map(line)].join('\n');
}

const utc = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export function renderMarkdown(r: RunResults, jsonName: string): string {
  const seconds = Math.round((r.finishedAt.getTime() - r.startedAt.getTime()) / 1000);
  const m = r.machine;
  const passed = r.verdicts.filter((v) => v.pass === true).length;
  const out = [
    `# ${r.bench}: ${r.variant ? `last ${r.variant} run (not a full run)` : 'last full run'}`,
    '',
    `Written by \`${r.command}\`; the next such run overwrites it. Raw numbers: \`${jsonName}\`.`,
    '',
    markdownTable([
      ['run', ''],
      ['date', `${utc(r.startedAt)}, took ${seconds} s`],
      ['machine', `${m.cpus} × ${m.cpuModel}, ${m.platform}`],
      ['Node', m.node],
      ['load average (1 min)', `${r.load.start.toFixed(2)} at the start, ${r.load.end.toFixed(2)} at the end`],
      ['plan', Object.entries(r.plan).map(([k, v]) => `${k} ${String(v)}`).join(', ')],
      ['verdicts', `${passed} of ${r.verdicts.length} passed`],
    ]),
    '',
    '## Verdicts',
    '',
    markdownTable([['', 'target', 'measured'], ...r.verdicts.map((v) => [verdictMark(v), v.label, v.detail])]),
  ];
  for (const t of r.tables) {
    out.push('', `## ${t.title}`, '', markdownTable(t.rows));
    if (t.notes?.length) out.push('', ...t.notes.map((n) => `- ${n}`));
  }
  if (r.notes?.length) out.push('', '## Notes', '', ...r.notes.map((n) => `- ${n}`));
  return `${out.join('\n')}\n`;
}

export function renderJson(r: RunResults): string {
  const { bench, variant, command, startedAt, finishedAt, machine: m, load, plan, verdicts, data } = r;
  const run = { bench, run: variant ?? 'full', command, startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString() };
  // a verdict not judged has pass null, not a missing key
  const judged = verdicts.map((v) => ({ ...v, pass: v.pass ?? null }));
  return `${JSON.stringify({ ...run, machine: m, load, plan, verdicts: judged, data }, null, 2)}\n`;
}

/** Writes both files of the run (creating the folder) and returns their paths. */
export async function writeResults(r: RunResults, dir = RESULTS_DIR): Promise<{ md: string; json: string }> {
  const paths = resultsPaths(r.bench, r.variant, dir);
  await mkdir(dir, { recursive: true });
  await writeFile(paths.md, renderMarkdown(r, basename(paths.json)));
  await writeFile(paths.json, renderJson(r));
  return paths;
}
