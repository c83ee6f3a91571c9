// What the pipeline use cases depend on: the pipeline store, the task use cases' deps (the media steps are
// tasks), the chat upstream for the article, and their tunables with defaults.
import type { Config } from '../../config/config.ts';
import type { ChatUpstream } from '../../ports/chat-upstream.ts';
import type { PipelineStore } from '../../ports/pipeline-store.ts';
import type { TaskUpstream } from '../../ports/task-upstream.ts';
import type { TaskDeps } from '../tasks/task-deps.ts';

export type PipelineConfig = Pick<Config, 'PIPELINE_ARTICLE_MODEL' | 'PIPELINE_IMAGE_MODEL' | 'PIPELINE_SPEECH_MODEL' | 'PIPELINE_VOICE'>;

export interface PipelineDeps extends Omit<TaskDeps, 'dashscope' | 'config'> {
  config: TaskDeps['config'] & PipelineConfig;
  dashscope: TaskUpstream & ChatUpstream;
  pipelines: PipelineStore;
  timings?: Partial<PipelineTimings>;
}

export interface PipelineTimings {
  /** How long one invocation may write the article before another may take the step over. */
  articleLeaseMs: number;
  /** Timeout of the article's chat call (per attempt of the client). */
  articleTimeoutMs: number;
  /** Article calls that failed transiently are tried this many times in all. */
  articleMaxAttempts: number;
  /** Wait before the next article attempt, times the attempts so far. */
  articleRetryMs: number;
  /** When the timer's sweep looks at a pipeline waiting for its media tasks (events normally move it first). */
  sweepAfterMs: number;
}

export function pipelineTimings(deps: Pick<PipelineDeps, 'config' | 'timings'>): PipelineTimings {
  const articleTimeoutMs = Math.min(deps.config.DASHSCOPE_TIMEOUT_MS, 45_000);
  return {
    articleTimeoutMs,
    articleLeaseMs: articleTimeoutMs * (deps.config.DASHSCOPE_MAX_RETRIES + 1) + 30_000,
    articleMaxAttempts: 3,
    articleRetryMs: 20_000,
    sweepAfterMs: 60_000,
    ...deps.timings,
  };
}

/** The idempotency key of a step's media task: one task per pipeline and step, however often the step is retried. */
export const stepTaskKey = (pipelineId: string, step: string): string => `pipeline:${pipelineId}:${step}`;
