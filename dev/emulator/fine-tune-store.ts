// Fine-tune jobs in memory (journaled with a state dir); like a task's, a job's status is a function of the
// emulator clock: PENDING, QUEUING for the single training slot, RUNNING, then SUCCEEDED or FAILED.
import { randomBytes } from 'node:crypto';
import type { EmulatorClock } from './clock.ts';
import { fromSlot, toSlot, type JournalRecord, type JournalSink } from './journal-records.ts';
import type { TaskTiming } from './options.ts';

export type JobState = 'PENDING' | 'QUEUING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';
export const JOB_ACTIVE: readonly JobState[] = ['PENDING', 'QUEUING', 'RUNNING'];

export interface JobSpec {
  jobName: string;
  model: string;
  trainingFileIds: string[];
  validationFileIds: string[];
  hyperParameters: Record<string, unknown>;
  trainingType: string;
  trainingTokens: number;
  /** Set when its training file was bad or a fault said so. */
  failure?: { code: string; message: string };
}

export interface JobRecord extends JobSpec {
  jobId: string;
  finetunedOutput: string;
  createdAt: number;
  readyAt: number;
  runAt: number;
  endAt: number;
  canceledAt?: number;
}

const stamp = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 12);

export class FineTuneStore {
  private readonly jobs = new Map<string, JobRecord>();
  private slotFree = -Infinity;

  constructor(
    private readonly clock: EmulatorClock,
    private readonly journal?: JournalSink,
  ) {}

  create(spec: JobSpec, timing: TaskTiming): JobRecord {
    const now = this.clock.nowMs();
    const suffix = randomBytes(2).toString('hex');
    const readyAt = now + timing.pendingMs;
    const runAt = Math.max(readyAt, this.slotFree);
    this.slotFree = runAt + timing.runningMs;
    const job: JobRecord = {
      ...spec, jobId: `ft-${stamp(now)}-${suffix}`, finetunedOutput: `${spec.model}-ft-${stamp(now)}-${suffix}`,
      createdAt: now, readyAt, runAt, endAt: runAt + timing.runningMs,
    };
    if (this.jobs.size >= 10_000) this.jobs.delete(this.jobs.keys().next().value!);
    this.jobs.set(job.jobId, job);
    this.journal?.append({ op: 'job', job }, { op: 'job-slot', free: toSlot(this.slotFree) });
    return job;
  }

  /** Replays one journal line (other stores' lines are ignored). */
  apply(r: JournalRecord): void {
    if (r.op === 'job') this.jobs.set(r.job.jobId, { ...r.job });
    else if (r.op === 'job-delete') this.jobs.delete(r.id);
    else if (r.op === 'job-slot') this.slotFree = fromSlot(r.free);
    else if (r.op === 'job-cancel') {
      const j = this.jobs.get(r.jobId);
      if (j) j.canceledAt = r.at;
    }
  }

  /** The whole state as journal lines (a compacted journal). */
  records(): JournalRecord[] {
    return [...[...this.jobs.values()].map((job): JournalRecord => ({ op: 'job', job })), { op: 'job-slot', free: toSlot(this.slotFree) }];
  }

  get(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }

  stateOf(j: JobRecord, now = this.clock.nowMs()): JobState {
    if (j.canceledAt !== undefined) return 'CANCELED';
    if (now < j.readyAt) return 'PENDING';
    if (now < j.runAt) return 'QUEUING';
    if (now < j.endAt) return 'RUNNING';
    return j.failure ? 'FAILED' : 'SUCCEEDED';
  }

  cancel(j: JobRecord): boolean {
    const now = this.clock.nowMs();
    if (!JOB_ACTIVE.includes(this.stateOf(j, now))) return false;
    j.canceledAt = now;
    // The last job in line gives the slot back: now if it was running, else when it would have started.
    if (this.slotFree === j.endAt) this.slotFree = Math.max(now, j.runAt);
    this.journal?.append({ op: 'job-cancel', jobId: j.jobId, at: now }, { op: 'job-slot', free: toSlot(this.slotFree) });
    return true;
  }

  delete(id: string): boolean {
    const deleted = this.jobs.delete(id);
    if (deleted) this.journal?.append({ op: 'job-delete', id });
    return deleted;
  }

  all(): JobRecord[] {
    return [...this.jobs.values()];
  }

  clear(): void {
    this.jobs.clear();
    this.slotFree = -Infinity;
  }
}
