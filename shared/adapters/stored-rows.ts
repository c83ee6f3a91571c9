// What the task and conversation stores keep, shared by their adapters: the rows, checked on the way out (a
// stored row is foreign data, so a corrupt one fails loudly), and the page cursors of a task listing.
import { z } from 'zod';
import { TASK_STATUSES, TASK_TYPES, type Task } from '../domain/task.ts';
import { parseJson } from '../json/parse-json.ts';
import { TaskStoreError, type ListOrder } from '../ports/task-store.ts';

const errorSchema = z.object({ code: z.string(), message: z.string() });

/**
 * A stored row is foreign data: checked on the way out so a corrupt row fails loudly, not downstream. Loose,
 * so a field the domain adds later is kept rather than silently dropped on the next read.
 */
export const storedTaskSchema: z.ZodType<Task> = z.object({
  id: z.string(),
  tenant: z.string().optional(),
  type: z.enum(TASK_TYPES),
  model: z.string(),
  status: z.enum(TASK_STATUSES),
  input: z.record(z.string(), z.unknown()),
  parameters: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.string()).optional(),
  idempotencyKey: z.string().optional(),
  submitAttemptedAt: z.string().optional(),
  dashscopeTaskId: z.string().optional(),
  dashscopeRequestId: z.string().optional(),
  outputs: z.array(
    z.object({
      index: z.number(),
      sourceUrl: z.string().optional(),
      sourceExpiresAt: z.string().optional(),
      key: z.string().optional(),
      contentType: z.string().optional(),
      bytes: z.number().optional(),
      sha256: z.string().optional(),
      error: errorSchema.optional(),
    }).loose(),
  ),
  speech: z
    .object({
      parts: z.number().int(),
      done: z.array(
        z.object({
          index: z.number().int(),
          url: z.string(),
          expiresAt: z.string(),
          characters: z.number().optional(),
          dashscopeRequestId: z.string().optional(),
        }),
      ),
    })
    .optional(),
  fineTunedModel: z.string().optional(),
  usage: z.record(z.string(), z.unknown()).optional(),
  cost: z.object({ amount: z.number(), currency: z.literal('CNY') }).optional(),
  error: errorSchema.optional(),
  pollCount: z.number(),
  dueAt: z.string().optional(),
  leaseOwner: z.string().optional(),
  leaseUntil: z.string().optional(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).loose();

/** A conversation's turns as stored (JSON text in both stores). */
const messageSchema = z.object({
  role: z.enum(['user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(z.unknown()), z.null()]),
  name: z.string().optional(),
  tool_calls: z.array(z.unknown()).optional(),
  tool_call_id: z.string().optional(),
});
export const storedTurnsSchema = z.array(z.object({ id: z.string(), at: z.string(), messages: z.array(messageSchema) }));

/** Position after the last task of a page: creation ms, id, and its order (`d`; cursors without it are 'asc'). */
const cursorSchema = z.object({ c: z.number().int(), i: z.string(), o: z.literal('d').optional() });

export function encodePageCursor(createdAtMs: number, id: string, order: ListOrder): string {
  return Buffer.from(JSON.stringify({ c: createdAtMs, i: id, ...(order === 'desc' ? { o: 'd' } : {}) })).toString('base64url');
}

/** The position a cursor names; TaskStoreError for one that is not ours or is from the other order. */
export function decodePageCursor(cursor: string, order: ListOrder): { c: number; i: string } {
  let parsed: z.infer<typeof cursorSchema>;
  try {
    parsed = cursorSchema.parse(parseJson(Buffer.from(cursor, 'base64url')));
  } catch {
    throw new TaskStoreError('invalid page cursor');
  }
  // a cursor is a position in one order; in the other it would skip or repeat tasks
  if ((parsed.o === 'd') !== (order === 'desc')) throw new TaskStoreError(`page cursor is from the other order than '${order}'`);
  return { c: parsed.c, i: parsed.i };
}
