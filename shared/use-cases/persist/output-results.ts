// What happened to each output of a manifest, and how that becomes the task row: per-output fields
// (key, type, size, sha256, or the reason it was not copied) merged over what the row already had.
import type { Task, TaskError, TaskOutput } from '../../domain/task.ts';
import type { TaskPatch } from '../../ports/task-store.ts';
import type { CopiedOutput } from './copy-output.ts';

export interface OutputSource {
  sourceUrl: string;
  sourceExpiresAt: string;
}

export type OutputResult =
  | { index: number; kind: 'copied'; copied: CopiedOutput; source: OutputSource }
  | { index: number; kind: 'upstream-error' | 'refused' | 'expired' | 'transient'; error: TaskError; source?: OutputSource };

function toTaskOutput(r: OutputResult, previous: TaskOutput | undefined): TaskOutput {
  const base: TaskOutput = { ...previous, index: r.index, ...(r.source ?? {}) };
  if (r.kind === 'copied') {
    const { key, contentType, bytes, sha256 } = r.copied;
    return { ...base, key, contentType, bytes, sha256, error: undefined };
  }
  return { ...base, error: r.error };
}

/** The row's outputs with these results applied; outputs the manifest does not list are kept as they were. */
export function mergeOutputs(task: Task, results: OutputResult[]): TaskOutput[] {
  const byIndex = new Map(task.outputs.map((o) => [o.index, o]));
  const outputs = results.map((r) => toTaskOutput(r, byIndex.get(r.index)));
  const listed = new Set(outputs.map((o) => o.index));
  return [...outputs, ...task.outputs.filter((o) => !listed.has(o.index))].sort((a, b) => a.index - b.index);
}

/** The patch that goes with the final transition (PERSISTED, or EXPIRED when any output expired). */
export function finalPatch(task: Task, results: OutputResult[]): TaskPatch {
  const reasons = (rs: OutputResult[]) => rs.map((r) => ('error' in r ? r.error.message : '')).filter(Boolean).join('; ');
  const expired = results.filter((r) => r.kind === 'expired');
  let error: TaskError | undefined = task.error;
  if (expired.length) error = { code: 'ResultExpired', message: reasons(expired) };
  else if (!results.some((r) => r.kind === 'copied')) error = { code: 'NothingPersisted', message: reasons(results) };
  // Terminal: nothing is due any more, and no lease is meaningful.
  return { outputs: mergeOutputs(task, results), error, dueAt: undefined, leaseOwner: undefined, leaseUntil: undefined };
}
