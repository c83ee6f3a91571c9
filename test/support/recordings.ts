// DashScope's recorded responses, read in place from the folder beside the repository
// (`../shared/fixtures/dashscope/`). Tests that replay them are skipped with a note naming the missing
// folder when it is absent, and fail instead where REQUIRE_RECORDINGS=1 says it must be there (CI).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'vitest';

export const RECORDINGS_DIR = fileURLToPath(new URL('../../../shared/fixtures/dashscope/', import.meta.url));

const present = existsSync(RECORDINGS_DIR);
const MISSING = `DashScope's recorded responses are not in ${RECORDINGS_DIR}`;

/** Skips the running test with a note naming the missing folder; fails it instead under REQUIRE_RECORDINGS=1. */
export function needRecordings(ctx: Pick<TestContext, 'skip'>): void {
  if (present) return;
  if (process.env.REQUIRE_RECORDINGS === '1') throw new Error(`${MISSING} (REQUIRE_RECORDINGS=1)`);
  ctx.skip(MISSING);
}

/** Names of the recorded files ending in `suffix` (none when the folder is absent). */
export function recordedFiles(suffix: string): string[] {
  return present ? readdirSync(RECORDINGS_DIR).filter((f) => f.endsWith(suffix)).sort() : [];
}

export const readRecording = (name: string): string => readFileSync(join(RECORDINGS_DIR, name), 'utf8');

/** The JSON lines of a recorded `*.chunks.txt` stream. */
export const recordedLines = (name: string): string[] => readRecording(name).split('\n').filter((l) => l.trim() !== '');
