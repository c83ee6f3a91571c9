// The rows the stores keep, checked on the way out by every adapter of the task and conversation stores: a
// stored row is foreign data, so a corrupt one fails loudly instead of downstream.
import { z } from 'zod';
import { TASK_STATUSES, TASK_TYPES, type Task } from '../domain/task.ts';

const errorSchema = z.object({ code: z.string(), message: z.string() });

/**
 * A stored row is foreign data: checked on the way out so a corrupt row fails loudly, not downstream. Loose,
 * so a field the domain adds later is kept rather than silently dropped on the next read.
 */
export const storedTaskSchema: z.ZodType<Task> = z.object({
  id: z.string(),
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
