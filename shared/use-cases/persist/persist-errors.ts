// Errors of the persist use case; each says (`retryable`) whether another delivery of the event can help.
// The entry point lets every one fail the invocation, so the manifest (the durable record) is never lost.

/** The manifest is missing, unreadable or inconsistent with its key. */
export class ManifestInvalidError extends Error {
  override name = 'ManifestInvalidError';
  readonly retryable = false;
}

/** The manifest names a task that has no row. */
export class PersistTaskNotFoundError extends Error {
  override name = 'PersistTaskNotFoundError';
  readonly retryable = false;
  constructor(readonly taskId: string) {
    super(`task ${taskId} not found; its manifest is kept for a later run`);
  }
}

/** The manifest arrived before the task reached SUCCEEDED (a writer crashed between the two): retry later. */
export class TaskNotReadyError extends Error {
  override name = 'TaskNotReadyError';
  readonly retryable = true;
  constructor(readonly taskId: string, readonly status: string) {
    super(`task ${taskId} is ${status}, not yet SUCCEEDED; the manifest will be handled on a later delivery`);
  }
}

/** An object already under a media key does not match what the source serves (or what the task recorded). Never overwritten. */
export class PersistIntegrityError extends Error {
  override name = 'PersistIntegrityError';
  readonly retryable = false;
  constructor(readonly key: string, message: string) {
    super(`integrity check failed for ${key}: ${message}`);
  }
}

/** Some outputs could not be copied for a reason that may pass (reset, 5xx, timeout); the rest was kept. */
export class PersistRetryableError extends Error {
  override name = 'PersistRetryableError';
  readonly retryable = true;
  constructor(
    readonly taskId: string,
    readonly failures: { index: number; code: string; message: string }[],
    options?: { cause?: unknown },
  ) {
    super(`task ${taskId}: ${failures.length} output(s) not copied yet: ${failures.map((f) => `#${f.index} ${f.code}: ${f.message}`).join('; ')}`, options);
  }
}
