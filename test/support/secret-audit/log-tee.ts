// The secret audit inside vitest's workers: every logger the code under test creates also hands the audit each
// line it could write, at every level, including the lines a test keeps in memory and those of silentLogger.
import { vi } from 'vitest';
import type { LogLevel, LogSink } from '../../../shared/log/logger.ts';

vi.mock(import('../../../shared/log/logger.ts'), async (importOriginal) => {
  const real = await importOriginal();
  // capture.mjs, preloaded into the worker when the audit is on
  const audit = (globalThis as { __secretAudit?: { record: (kind: string, text: string) => void } }).__secretAudit;
  if (!audit) return real;
  const ORDER: { [level in LogLevel]: number } = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
  const toStdout: LogSink = (line) => process.stdout.write(line + '\n');
  // the real logger at debug level; the caller's sink still gets only the lines of its level
  const createLogger: typeof real.createLogger = (level = 'info', base = {}, sink) =>
    real.createLogger('debug', base, (line) => {
      const lineLevel = /"level":"(\w+)"/.exec(line)?.[1] as LogLevel | undefined;
      const kept = lineLevel !== undefined && ORDER[lineLevel] >= ORDER[level];
      // a line that goes to stdout is recorded there already
      if (!kept || sink) audit.record('log', line);
      if (kept) (sink ?? toStdout)(line);
    });
  return { ...real, createLogger, silentLogger: createLogger('silent') };
});
