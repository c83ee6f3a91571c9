// The Task: one asynchronous job (image, video, speech, a fine-tune) from request to persisted outputs.
// Pure data and the transition table; no I/O. Every status change goes through `canTransition`.

export const TASK_TYPES = ['text-to-image', 'text-to-video', 'image-to-video', 'text-to-speech', 'fine-tune'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/**
 * Task types whose result is not media but a name DashScope keeps: a `fine-tune`'s result is the fine-tuned
 * model id (`fineTunedModel`). Such a task writes no manifest and has nothing to copy, so it moves from
 * SUCCEEDED to PERSISTED in the same step that records its result: PERSISTED then means "the result is
 * recorded on the task", as it means "every output is in the bucket" for media.
 */
export const RESULT_ONLY_TYPES: ReadonlySet<TaskType> = new Set(['fine-tune']);

export function hasMediaOutputs(type: TaskType): boolean {
  return !RESULT_ONLY_TYPES.has(type);
}

export const TASK_STATUSES = ['QUEUED', 'PENDING', 'RUNNING', 'SUCCEEDED', 'PERSISTED', 'FAILED', 'CANCELED', 'EXPIRED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<TaskStatus> = new Set(['PERSISTED', 'FAILED', 'CANCELED', 'EXPIRED']);

/** Allowed moves. A move not listed here is a bug or a lost race, never a silent overwrite. */
export const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  QUEUED: ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'EXPIRED'],
  PENDING: ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'EXPIRED'],
  RUNNING: ['SUCCEEDED', 'FAILED', 'CANCELED', 'EXPIRED'],
  // FAILED from SUCCEEDED: every output was refused (not allowlisted, too large…), so nothing can be kept.
  SUCCEEDED: ['PERSISTED', 'EXPIRED', 'FAILED'],
  PERSISTED: [],
  FAILED: [],
  CANCELED: [],
  EXPIRED: [],
};

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export interface TaskError {
  code: string;
  message: string;
}

/** One result of a task: where DashScope put it (expiring), and where we keep it once persisted. */
export interface TaskOutput {
  index: number;
  /** DashScope's signed URL; expires at `sourceExpiresAt`. */
  sourceUrl?: string;
  sourceExpiresAt?: string;
  /** Object key in our OSS bucket once persisted. */
  key?: string;
  contentType?: string;
  bytes?: number;
  sha256?: string;
  /** A partial failure (e.g. one image refused by moderation) or a copy that was refused. */
  error?: TaskError;
}

/** One synthesised part of a speech task's text: DashScope's WAV of it, until its URL expires. */
export interface SpeechPart {
  index: number;
  url: string;
  expiresAt: string;
  /** Billed characters DashScope reported for it. */
  characters?: number;
  dashscopeRequestId?: string;
}

/**
 * A speech task's progress: DashScope answers each synthesis at once, so the parts of a long text are
 * synthesised one after the other and each one's result is recorded before the next is asked for.
 */
export interface SpeechProgress {
  /** How many parts the text is split into. */
  parts: number;
  /** The parts synthesised so far, in order (`done[i].index === i`). */
  done: SpeechPart[];
}

export interface Task {
  id: string;
  /**
   * The tenant that submitted it (see tenant.ts): only that tenant and admins see it. Absent on rows written
   * before tasks had owners; those are seen by admins only.
   */
  tenant?: string;
  type: TaskType;
  model: string;
  status: TaskStatus;
  /** The validated request as sent upstream (`input` and `parameters` of DashScope's body). */
  input: Record<string, unknown>;
  parameters: Record<string, unknown>;
  metadata?: Record<string, string>;
  idempotencyKey?: string;
  /**
   * When the create request was last sent upstream, written before sending: a QUEUED task without it was
   * never sent (safe to submit); with it, the task may exist upstream and must be reconciled, not re-sent.
   */
  submitAttemptedAt?: string;
  dashscopeTaskId?: string;
  dashscopeRequestId?: string;
  outputs: TaskOutput[];
  /** Speech tasks: the parts synthesised so far (a synthesis in flight is `submitAttemptedAt`). */
  speech?: SpeechProgress;
  /** A fine-tune's result: the id of the model DashScope trained (set when it SUCCEEDED). */
  fineTunedModel?: string;
  usage?: Record<string, unknown>;
  cost?: { amount: number; currency: 'CNY' };
  error?: TaskError;
  /** Upstream polls made so far (drives backoff). */
  pollCount: number;
  /** When poll-task should next look at this task; absent when nothing is due (terminal). */
  dueAt?: string;
  leaseOwner?: string;
  leaseUntil?: string;
  /** Optimistic-concurrency version; every write increments it. */
  version: number;
  createdAt: string;
  updatedAt: string;
}
