// submitTask: an app's validated request becomes a QUEUED row owned by its tenant (written before DashScope is
// called), then is sent once. The Idempotency-Key is recorded (per tenant) before the row, so a repeat finds the same task.
import type { Task } from '../../domain/task.ts';
import { TaskAlreadyExistsError } from '../../ports/task-store.ts';
import { requestHash, type TaskRequest } from './task-request.ts';
import { sendCreate, type CreateOutcome } from './send-create.ts';
import { IdempotencyKeyReusedError, TaskUpstreamError } from './task-errors.ts';
import { defaultTimings, requestKey, step, type TaskDeps, type TaskTimings } from './task-deps.ts';
import { requireModel } from '../../catalog/catalog.ts';
import { estimateTaskCost } from '../../catalog/pricing.ts';
import { appPrincipal, type Principal } from '../../domain/tenant.ts';
import type { Demand } from '../guards/guard.ts';

/** What a task asks of the guards: a request of its tenant to its model, and the most it can cost. */
function taskDemand(principal: Principal, request: TaskRequest, taskId: string, timings: TaskTimings): Demand {
  const model = requireModel(request.model);
  return {
    principal,
    model,
    ref: `task:${taskId}`,
    upstreamRequests: 0,
    tokens: 0,
    // a speech task's cost is its text's
    costMicros: estimateTaskCost(request.type, model.id, request.type === 'text-to-speech' ? { text: request.input.text } : request.parameters).micros,
    // a task is settled when DashScope finishes it, at the latest when it is given up
    holdMs: timings.maxUpstreamAgeMs + 3_600_000,
  };
}

export interface SubmitInput {
  request: TaskRequest;
  /** Who owns the task: its tenant alone (and admins) will see it. */
  tenant: string;
  /** The submitter's limits and budgets (absent: the tenant's own are unknown, so only the global ones apply). */
  principal?: Principal;
  idempotencyKey?: string;
  /** Names the lease owner (the HTTP request id, or the inbox object key). */
  requestId: string;
  /**
   * Write the QUEUED row only and leave the create to poll-task (due at once): a batch of many requests is
   * recorded quickly, and DashScope's submit rate is kept by poll-task's pacing.
   */
  defer?: boolean;
}

export type SubmitResult =
  | { kind: 'replayed'; task: Task }
  /** Recorded, to be sent by poll-task (`defer`). */
  | { kind: 'queued'; task: Task }
  | { kind: CreateOutcome['kind']; task: Task; outcome: CreateOutcome };

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export async function submitTask(deps: TaskDeps, input: SubmitInput, timings: TaskTimings = defaultTimings(deps.config)): Promise<SubmitResult> {
  const { request, idempotencyKey, tenant } = input;
  const now = deps.clock.now();
  let taskId = deps.ids.next('task');

  if (idempotencyKey !== undefined) {
    const hash = requestHash(request);
    const first = await deps.tasks.putIdempotencyKey({ key: requestKey(tenant, idempotencyKey), taskId, requestHash: hash, createdAt: now.toISOString() });
    if (first) {
      if (first.requestHash !== hash) {
        throw new IdempotencyKeyReusedError();
      }
      const existing = await deps.tasks.get(first.taskId);
      if (existing) return { kind: 'replayed', task: existing };
      // The first request recorded the key and died before writing its row: this request writes it.
      taskId = first.taskId;
    }
  }

  // admitted before the row is written: a task refused by a limit or a budget leaves nothing behind. Admission
  // is idempotent per task id, so the rare retry of a request that died before its row holds nothing twice.
  const principal = input.principal ?? appPrincipal(input.tenant);
  const admission = deps.guard ? await deps.guard.admit(taskDemand(principal, request, taskId, timings)) : undefined;

  const owner = `submit:${input.requestId}`;
  const leaseUntil = new Date(now.getTime() + timings.submitLeaseMs).toISOString();
  // a deferred row is nobody's: poll-task claims it when it is due, now
  const schedule = input.defer ? { dueAt: now.toISOString() } : { dueAt: leaseUntil, leaseOwner: owner, leaseUntil };
  const row: Task = {
    id: taskId,
    tenant,
    type: request.type,
    model: request.model,
    status: 'QUEUED',
    input: request.input,
    parameters: request.parameters,
    ...(request.metadata ? { metadata: request.metadata } : {}),
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    outputs: [],
    pollCount: 0,
    // If this submitter dies, poll-task takes the row over once the lease ends.
    ...schedule,
    version: 1,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  try {
    await deps.tasks.create(row);
  } catch (e) {
    if (!(e instanceof TaskAlreadyExistsError)) {
      await admission?.release().catch(() => undefined);
      throw e;
    }
    const existing = await deps.tasks.get(taskId);
    if (existing) return { kind: 'replayed', task: existing };
    throw e;
  }
  // every line about the task from here on says whose it is
  const tenantDeps = { ...deps, logger: deps.logger.child({ tenant }) };
  tenantDeps.logger.info('task queued', { taskId, type: row.type, model: row.model });
  await step(deps, 'submit:row-written', taskId);
  if (input.defer) return { kind: 'queued', task: row };

  const outcome = await sendCreate(tenantDeps, { task: row, owner, published: true }, timings);
  return { kind: outcome.kind, task: outcome.held.task, outcome };
}

/** The refusal to answer for a create DashScope refused (or kept failing): the task exists, FAILED. */
export function createRefusal(result: SubmitResult): TaskUpstreamError | undefined {
  if (result.kind === 'replayed' || result.kind === 'queued') return undefined;
  const o = result.outcome;
  if (o.kind !== 'rejected' && o.kind !== 'gave-up') return undefined;
  return new TaskUpstreamError('create', result.task.id, o.failure);
}
