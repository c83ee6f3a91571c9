// What the emulator's state journal holds, one JSON line each: the changes to tasks, uploaded files and
// fine-tune jobs. Read back with these schemas, so a line written by another version or torn is skipped.
import { z } from 'zod';

// JSON has no -Infinity ("this slot was never used"), so it travels as null.
const slotTime = z.number().nullable();
export const toSlot = (ms: number): number | null => (Number.isFinite(ms) ? ms : null);
export const fromSlot = (ms: number | null): number => ms ?? -Infinity;

const failure = z.object({ code: z.string(), message: z.string() });

const storedTask = z.object({
  taskId: z.string(),
  model: z.string(),
  requestId: z.string(),
  prompt: z.string(),
  promptExtend: z.boolean(),
  n: z.number(),
  size: z.string(),
  durationS: z.number(),
  videoBytes: z.number(),
  failure: failure.optional(),
  partialFailed: z.number(),
  createdAt: z.number(),
  runAt: z.number(),
  endAt: z.number(),
  canceledAt: z.number().optional(),
});
export type StoredTask = z.infer<typeof storedTask>;

const storedFile = z.object({
  id: z.string(),
  object: z.literal('file'),
  bytes: z.number(),
  filename: z.string(),
  purpose: z.string(),
  status: z.literal('processed'),
  created_at: z.number(),
  badLine: z.number().optional(),
  lines: z.number(),
});

const storedJob = z.object({
  jobId: z.string(),
  jobName: z.string(),
  model: z.string(),
  trainingFileIds: z.array(z.string()),
  validationFileIds: z.array(z.string()),
  hyperParameters: z.record(z.string(), z.unknown()),
  trainingType: z.string(),
  trainingTokens: z.number(),
  failure: failure.optional(),
  finetunedOutput: z.string(),
  createdAt: z.number(),
  readyAt: z.number(),
  runAt: z.number(),
  endAt: z.number(),
  canceledAt: z.number().optional(),
});

export const journalRecord = z.discriminatedUnion('op', [
  z.object({ op: z.literal('task'), task: storedTask }),
  z.object({ op: z.literal('task-cancel'), taskId: z.string(), at: z.number() }),
  // When each concurrency slot of a model frees up: where the next submit of that model queues.
  z.object({ op: z.literal('task-slots'), model: z.string(), free: z.array(slotTime) }),
  z.object({ op: z.literal('file'), file: storedFile }),
  z.object({ op: z.literal('file-delete'), id: z.string() }),
  z.object({ op: z.literal('job'), job: storedJob }),
  z.object({ op: z.literal('job-cancel'), jobId: z.string(), at: z.number() }),
  z.object({ op: z.literal('job-delete'), id: z.string() }),
  z.object({ op: z.literal('job-slot'), free: slotTime }),
  z.object({ op: z.literal('reset') }),
]);
export type JournalRecord = z.infer<typeof journalRecord>;

/** Where a store writes its changes (nothing, for an emulator without a state directory). */
export interface JournalSink {
  append(...records: JournalRecord[]): void;
}
