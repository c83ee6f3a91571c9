// The emulator's native async tasks (image, video), in memory (journaled with a state dir). Their status
// is a pure function of the emulator clock, so no timers run and `clock.advance` moves every task at once.
import { randomUUID } from 'node:crypto';
import { findModel, type ImageModel, type VideoModel } from '../../shared/catalog/catalog.ts';
import type { EmulatorClock } from './clock.ts';
import { fromSlot, toSlot, type JournalRecord, type JournalSink } from './journal-records.ts';
import type { TaskTiming } from './options.ts';

export type TaskState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'UNKNOWN';

export interface TaskSpec {
  model: ImageModel | VideoModel;
  requestId: string;
  prompt: string;
  promptExtend: boolean;
  /** Images per task (1 for video). */
  n: number;
  /** `W*H` for images and t2v, `480P`… for i2v. */
  size: string;
  durationS: number;
  videoBytes: number;
  /** Set when the task is bound to fail (bad input found late, or an injected `task-fail`). */
  failure?: { code: string; message: string };
  /** Leading image results replaced by DataInspectionFailed items. */
  partialFailed: number;
}

export interface TaskRecord extends TaskSpec {
  taskId: string;
  createdAt: number;
  runAt: number;
  endAt: number;
  canceledAt?: number;
}

export class EmulatorTasks {
  private readonly tasks = new Map<string, TaskRecord>();
  /** Per model: the emulator time each concurrency slot becomes free. */
  private readonly slots = new Map<string, number[]>();
  private created = 0;

  constructor(
    private readonly clock: EmulatorClock,
    private readonly ttlMs: number,
    private readonly journal?: JournalSink,
  ) {}

  create(spec: TaskSpec, timing: TaskTiming, concurrency: number): TaskRecord {
    const now = this.clock.nowMs();
    if (++this.created % 256 === 0) this.prune(now);
    let runAt = now + timing.pendingMs;
    let slots: number[] | undefined;
    // beyond the model's concurrency a task waits PENDING for a free slot
    if (Number.isFinite(concurrency) && concurrency > 0) {
      slots = this.slots.get(spec.model.id) ?? Array.from({ length: concurrency }, () => -Infinity);
      this.slots.set(spec.model.id, slots);
      let best = 0;
      for (let i = 1; i < slots.length; i++) if (slots[i]! < slots[best]!) best = i;
      runAt = Math.max(runAt, slots[best]!);
      slots[best] = runAt + timing.runningMs;
    }
    const task: TaskRecord = { ...spec, taskId: randomUUID(), createdAt: now, runAt, endAt: runAt + timing.runningMs };
    this.tasks.set(task.taskId, task);
    // Journaled before the id is returned: a task a client has heard of is never lost by a crash.
    this.journal?.append(stored(task), ...(slots ? [slotsRecord(spec.model.id, slots)] : []));
    return task;
  }

  /** Replays one journal line (other stores' lines are ignored); a task past its TTL is dropped. */
  apply(r: JournalRecord): void {
    if (r.op === 'task') {
      const model = findModel(r.task.model);
      if (this.clock.nowMs() - r.task.createdAt > this.ttlMs) return;
      if (model?.kind === 'text-to-image' || model?.kind === 'text-to-video' || model?.kind === 'image-to-video') {
        this.tasks.set(r.task.taskId, { ...r.task, model });
      }
    } else if (r.op === 'task-cancel') {
      const t = this.tasks.get(r.taskId);
      if (t) t.canceledAt = r.at;
    } else if (r.op === 'task-slots') {
      this.slots.set(r.model, r.free.map(fromSlot));
    }
  }

  /** The whole state as journal lines (a compacted journal). */
  records(): JournalRecord[] {
    return [...[...this.tasks.values()].map(stored), ...[...this.slots].map(([model, free]) => slotsRecord(model, free))];
  }

  get(taskId: string): TaskRecord | undefined {
    const t = this.tasks.get(taskId);
    return t && this.clock.nowMs() - t.createdAt <= this.ttlMs ? t : undefined;
  }

  stateOf(t: TaskRecord, now = this.clock.nowMs()): TaskState {
    // data older than the TTL answers UNKNOWN
    if (now - t.createdAt > this.ttlMs) return 'UNKNOWN';
    if (t.canceledAt !== undefined) return 'CANCELED';
    if (now < t.runAt) return 'PENDING';
    if (now < t.endAt) return 'RUNNING';
    return t.failure ? 'FAILED' : 'SUCCEEDED';
  }

  /** Cancels a PENDING task; false in any other state. (A canceled queued task does not pull later ones forward.) */
  cancel(t: TaskRecord): boolean {
    const now = this.clock.nowMs();
    if (this.stateOf(t, now) !== 'PENDING') return false;
    t.canceledAt = now;
    this.journal?.append({ op: 'task-cancel', taskId: t.taskId, at: now });
    return true;
  }

  all(): TaskRecord[] {
    return [...this.tasks.values()];
  }

  clear(): void {
    this.tasks.clear();
    this.slots.clear();
  }

  private prune(now: number): void {
    for (const [id, t] of this.tasks) if (now - t.createdAt > this.ttlMs) this.tasks.delete(id);
    const excess = this.tasks.size - 200_000;
    if (excess > 0) [...this.tasks.keys()].slice(0, excess).forEach((id) => this.tasks.delete(id));
  }
}

const stored = (t: TaskRecord): JournalRecord => ({ op: 'task', task: { ...t, model: t.model.id } });
const slotsRecord = (model: string, free: number[]): JournalRecord => ({ op: 'task-slots', model, free: free.map(toSlot) });
