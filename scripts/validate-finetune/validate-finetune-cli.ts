// `npm run validate-finetune -- file.jsonl [--json]`: the fine-tune data check on a local file, as a table of
// errors and notes by line (or the bucket report's JSON with --json). Exit 0 clean, 1 on errors, 2 on a bad command.
import { validateTrainingData, type TrainingIssue, type TrainingReport } from '../../shared/use-cases/finetune/validate-training-data.ts';
import { FINE_TUNE_MAX_FILE_BYTES } from '../../shared/use-cases/finetune/training-file.ts';

export interface CliIo {
  readFile(path: string): Promise<Buffer>;
  fileSize(path: string): Promise<number>;
  out(line: string): void;
  err(line: string): void;
}

const USAGE = 'usage: npm run validate-finetune -- <file.jsonl> [--json]';

function table(kind: string, issues: TrainingIssue[]): string[] {
  if (!issues.length) return [];
  const width = Math.max(4, ...issues.map((i) => String(i.line).length));
  const codeWidth = Math.max(4, ...issues.map((i) => i.code.length));
  return [
    `${kind}:`,
    `  ${'line'.padStart(width)}  ${'code'.padEnd(codeWidth)}  message`,
    ...issues.map((i) => `  ${(i.line === 0 ? '-' : String(i.line)).padStart(width)}  ${i.code.padEnd(codeWidth)}  ${i.message}`),
  ];
}

/** The readable form of a report. */
export function formatReport(file: string, r: TrainingReport): string[] {
  const head = `${file}: ${r.examples} example${r.examples === 1 ? '' : 's'}, ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}, ${r.notes.length} note${r.notes.length === 1 ? '' : 's'} — ${r.ok ? 'OK' : 'NOT usable for fine-tuning'}`;
  return [head, ...table('errors', r.errors), ...table('notes', r.notes)];
}

export async function runValidateFinetune(argv: string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const files = argv.filter((a) => a !== '--json');
  if (files.length !== 1 || files[0]!.startsWith('-')) {
    io.err(USAGE);
    return 2;
  }
  const file = files[0]!;
  let size: number;
  try {
    size = await io.fileSize(file);
  } catch (e) {
    io.err(`validate-finetune: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    return 2;
  }
  // the size alone refuses a file DashScope would not take, without reading it
  const report: TrainingReport =
    size > FINE_TUNE_MAX_FILE_BYTES
      ? { ok: false, examples: 0, errors: [{ line: 0, code: 'file_too_large', message: `${size} bytes; at most ${FINE_TUNE_MAX_FILE_BYTES}` }], notes: [] }
      : validateTrainingData(await io.readFile(file));
  if (json) io.out(JSON.stringify(report, null, 2));
  else for (const line of formatReport(file, report)) io.out(line);
  return report.ok ? 0 : 1;
}
