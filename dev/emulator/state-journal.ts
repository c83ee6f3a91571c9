// The emulator's state on disk (option `stateDir`): `journal.jsonl`, an append-only log of task, file and
// fine-tune changes, and `clock.json`, how far emulator time got, so a restarted emulator resumes both.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { EmulatorClock } from './clock.ts';
import { journalRecord, type JournalRecord, type JournalSink } from './journal-records.ts';

// The clock file holds a bound the clock will not pass before the next save (now + this much real time),
// so after a kill -9 time resumes at or past anything a client saw: it may jump forward, never back.
const CLOCK_SAVE_EVERY_MS = 250;
const CLOCK_LEASE_REAL_MS = 1_000;
const clockFile = z.object({ nowMs: z.number() });

export interface SavedState {
  /** Emulator time to continue from; undefined for an empty directory. */
  resumeAtMs: number | undefined;
  /** The journal since its last reset, in order; torn or unreadable lines left out. */
  records: JournalRecord[];
}

function readLines(path: string): JournalRecord[] {
  if (!existsSync(path)) return [];
  const records: JournalRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let parsed: ReturnType<typeof journalRecord.safeParse>;
    try {
      parsed = journalRecord.safeParse(JSON.parse(line));
    } catch {
      continue; // a line cut short by a crash mid-write
    }
    if (!parsed.success) continue;
    if (parsed.data.op === 'reset') records.length = 0;
    else records.push(parsed.data);
  }
  return records;
}

/** The latest emulator time a record carries: the clock must not restart before it. */
function latestTime(records: JournalRecord[]): number | undefined {
  let latest: number | undefined;
  const see = (ms: number | undefined) => ms !== undefined && (latest = Math.max(latest ?? ms, ms));
  for (const r of records) {
    if (r.op === 'task') see(r.task.canceledAt ?? r.task.createdAt);
    else if (r.op === 'job') see(r.job.canceledAt ?? r.job.createdAt);
    else if (r.op === 'task-cancel' || r.op === 'job-cancel') see(r.at);
    else if (r.op === 'file') see(r.file.created_at * 1000);
  }
  return latest;
}

export function readSavedState(dir: string): SavedState {
  const records = readLines(join(dir, 'journal.jsonl'));
  let saved: number | undefined;
  try {
    saved = clockFile.parse(JSON.parse(readFileSync(join(dir, 'clock.json'), 'utf8'))).nowMs;
  } catch {
    saved = undefined; // no clock yet (fresh directory): the journal's times still bound it
  }
  const fromJournal = latestTime(records);
  const resumeAtMs = saved === undefined ? fromJournal : Math.max(saved, fromJournal ?? saved);
  return { resumeAtMs, records };
}

/** Writes `data` so that a crash leaves either the old file or the new one, never a mix. */
function replaceFile(path: string, data: string, sync: boolean): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, data);
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export class StateJournal implements JournalSink {
  private fd: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private clock: EmulatorClock | undefined;

  constructor(
    private readonly dir: string,
    private readonly timeScale: number,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /**
   * Rewrites the journal as `records` (the stores' current state: expired tasks and any torn line are gone),
   * then appends from there and keeps the clock file ahead of the clock.
   */
  start(records: JournalRecord[], clock: EmulatorClock): void {
    replaceFile(join(this.dir, 'journal.jsonl'), records.map((r) => JSON.stringify(r) + '\n').join(''), true);
    this.fd = openSync(join(this.dir, 'journal.jsonl'), 'a');
    this.clock = clock;
    this.saveClock();
    this.timer = setInterval(() => this.saveClock(), CLOCK_SAVE_EVERY_MS).unref();
  }

  /** One write per call, before the caller answers: what a client was told is on disk. */
  append(...records: JournalRecord[]): void {
    if (this.fd === undefined || records.length === 0) return;
    writeSync(this.fd, records.map((r) => JSON.stringify(r) + '\n').join(''));
  }

  /** Saves the clock's bound now (after `advance`, so a jump is not lost). */
  saveClock(exact = false): void {
    if (!this.clock) return;
    const nowMs = this.clock.nowMs() + (exact ? 0 : CLOCK_LEASE_REAL_MS * this.timeScale);
    replaceFile(join(this.dir, 'clock.json'), JSON.stringify({ nowMs }), false);
  }

  /** Stops saving; a clean stop records the exact time, so the next start continues without a jump. */
  close(): void {
    if (this.fd === undefined) return;
    clearInterval(this.timer);
    this.saveClock(true);
    closeSync(this.fd);
    this.fd = undefined;
    this.clock = undefined;
  }
}
