// PipelineStore: the pipelines and their steps. Every write is conditional on the version read, so two
// invocations advancing one pipeline never overwrite each other; the timer finds the ones due again.
import type { Pipeline } from '../domain/pipeline.ts';

export class PipelineStoreError extends Error {
  override name = 'PipelineStoreError';
}

/** A conditional write lost: the pipeline changed (or was created) since `expectedVersion` was read. */
export class PipelineConflictError extends PipelineStoreError {
  override name = 'PipelineConflictError';
  constructor(
    readonly pipelineId: string,
    readonly expectedVersion: number,
  ) {
    super(`pipeline ${pipelineId} changed since version ${expectedVersion}`);
  }
}

export interface PipelineStore {
  /** undefined when no pipeline has this id. */
  get(id: string): Promise<Pipeline | undefined>;
  /**
   * Writes `pipeline` only if the stored one is still at `expectedVersion` (0 = must not exist yet); returns it
   * at version expectedVersion + 1 (its `version` field is ignored). Throws PipelineConflictError otherwise.
   */
  put(pipeline: Pipeline, expectedVersion: number): Promise<Pipeline>;
  /** Up to `limit` unfinished pipelines whose dueAt is at or before `now`, earliest first. */
  listDue(now: Date, limit: number): Promise<Pipeline[]>;
}
