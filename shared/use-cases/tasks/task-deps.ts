// What the task use cases depend on, their tunables with defaults, and the step hook: a test seam called
// between the durable steps of submit and poll, where throwing simulates the process dying at that point.
import type { Clock, IdGenerator } from '../../ports/clock.ts';
import type { EventBus } from '../../ports/event-bus.ts';
import type { ObjectStore } from '../../ports/object-store.ts';
import type { TaskStore } from '../../ports/task-store.ts';
import type { Logger } from '../../log/logger.ts';
import type { Config } from '../../config/config.ts';
import type { TaskUpstream } from '../../ports/task-upstream.ts';
import type { SpeechUpstream } from '../../ports/speech-upstream.ts';
import type { FineTuneUpstream } from '../../ports/fine-tune-upstream.ts';
import type { TaskType } from '../../domain/task.ts';
import { POLL_SCHEDULES, type PollSchedule } from './backoff.ts';
import type { Guard } from '../guards/guard.ts';
import type { TenantDirectory } from '../tenants/tenant-directory.ts';

export type StepName =
  | 'submit:row-written'
  | 'submit:attempt-recorded'
  | 'submit:upstream-created'
  | 'submit:claimed'
  | 'submit:transitioned'
  | 'poll:leased'
  | 'poll:queried'
  | 'poll:manifest-written'
  | 'poll:transitioned'
  | 'poll:redrive-written'
  | 'poll:reconcile-claimed';

export interface StepHooks {
  step(name: StepName, taskId: string): void | Promise<void>;
}

export interface TaskDeps {
  config: Pick<Config, 'SIGNED_URL_TTL_S' | 'DASHSCOPE_TIMEOUT_MS' | 'DASHSCOPE_MAX_RETRIES'>;
  logger: Logger;
  clock: Clock;
  ids: IdGenerator;
  dashscope: TaskUpstream;
  /** Qwen TTS, for speech tasks (absent: a speech task fails when it is synthesised). */
  speech?: SpeechUpstream;
  /** DashScope's files and fine-tune jobs, for `fine-tune` tasks (absent: such a task cannot be sent). */
  fineTunes?: FineTuneUpstream;
  tasks: TaskStore;
  events: EventBus;
  objects: ObjectStore;
  /** Rate limits, budgets and the ledger (absent: tasks are neither limited nor billed). */
  guard?: Guard;
  /** Tenants by name, for work that arrives without a key (inbox uploads): their limits and budgets apply. */
  tenants?: Pick<TenantDirectory, 'principal'>;
  hooks?: StepHooks;
}

/** A step hook threw: the use case stops at once and writes nothing more, as if the process had died. */
export class StepCrash extends Error {
  override name = 'StepCrash';
  constructor(readonly step: StepName, readonly taskId: string, cause: unknown) {
    super(`stopped at ${step} for ${taskId}`, { cause });
  }
}

export async function step(deps: Pick<TaskDeps, 'hooks'>, name: StepName, taskId: string): Promise<void> {
  if (!deps.hooks) return;
  try {
    await deps.hooks.step(name, taskId);
  } catch (e) {
    throw new StepCrash(name, taskId, e);
  }
}

export interface TaskTimings {
  /** Timeout of one create request (a web function must answer well within its own timeout). */
  createTimeoutMs: number;
  /** How long a submitter holds a new row before poll-task may take over (covers the client's retries). */
  submitLeaseMs: number;
  /** How long a poller holds a task it claimed. */
  leaseMs: number;
  /** A create whose outcome is unknown is reconciled this long after it was sent (let DashScope list it). */
  reconcileAfterMs: number;
  /** Upstream tasks created within this long after the attempt (and 30 s before) are candidates. */
  reconcileWindowMs: number;
  /** Reconciliation that cannot reach DashScope gives up (FAILED) this long after the attempt. */
  reconcileGiveUpMs: number;
  /** Creates that failed transiently (429/5xx after retries) are tried this many times in all. */
  maxSubmitAttempts: number;
  /** A SUCCEEDED task not PERSISTED this long after is re-driven (manifest rewritten). */
  redriveAfterMs: number;
  /** Base delay for retrying after a failed call to DashScope or the store. */
  retryBaseMs: number;
  /** Tasks DashScope has not settled this long after creation are given up (it keeps tasks 24 h). */
  maxUpstreamAgeMs: number;
  /** How long one submit or poll keeps synthesising a speech task's parts before leaving the rest for later. */
  speechBudgetMs: number;
  /** Poll backoff per task type. */
  schedules: Readonly<Record<TaskType, PollSchedule>>;
  random: () => number;
}

export function defaultTimings(config: TaskDeps['config']): TaskTimings {
  const createTimeoutMs = Math.min(config.DASHSCOPE_TIMEOUT_MS, 20_000);
  return {
    createTimeoutMs,
    // Every attempt the client may make, its waits between them, and a margin.
    submitLeaseMs: (createTimeoutMs + 10_000) * (config.DASHSCOPE_MAX_RETRIES + 1) + 30_000,
    leaseMs: 60_000,
    reconcileAfterMs: 30_000,
    reconcileWindowMs: 120_000,
    reconcileGiveUpMs: 3_600_000,
    maxSubmitAttempts: 5,
    redriveAfterMs: 180_000,
    retryBaseMs: 2_000,
    maxUpstreamAgeMs: 26 * 3_600_000,
    speechBudgetMs: 20_000,
    schedules: POLL_SCHEDULES,
    random: Math.random,
  };
}

/** The idempotency record that ties a DashScope task id to the one task that owns it. */
export const upstreamClaimKey = (dashscopeTaskId: string): string => `dashscope-task:${dashscopeTaskId}`;
export const UPSTREAM_CLAIM_HASH = 'upstream-claim';
/** The idempotency record of a tenant's `Idempotency-Key`: the same key from two tenants is two requests. */
export const requestKey = (tenant: string, key: string): string => `task-request:${tenant}:${key}`;
