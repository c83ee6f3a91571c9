// The fine-tune upstream: DashScope's file upload and fine-tune jobs, as the `fine-tune` task type needs them.
// Calls fail with shared/dashscope/errors.ts's typed errors (sorted by the task use cases' upstream-api.ts).
import type { CallOptions } from './upstream-call.ts';

export interface FineTuneCreateBody {
  model: string;
  training_file_ids: string[];
  hyper_parameters?: Record<string, unknown>;
  training_type?: string;
  /** Ours: the task id, by which an ambiguous create is found again in the job list. */
  job_name?: string;
}

/** One job as DashScope describes it (zod-parsed by the client; extra fields kept). */
export interface UpstreamFineTuneJob {
  job_id: string;
  job_name?: string | null;
  /** PENDING, QUEUING, RUNNING, CANCELING, SUCCEEDED, FAILED, CANCELED. */
  status: string;
  /** The id of the fine-tuned model. */
  finetuned_output?: string | null;
  model?: string | null;
  /** Training tokens, once finished. */
  usage?: number | null;
  create_time?: string | null;
  end_time?: string | null;
  code?: string | null;
  message?: string | null;
}

export interface FineTuneUpstream {
  /** Uploads a training file (`purpose=fine-tune`); its id goes into a job. */
  uploadFile(file: { filename: string; data: Buffer }, opts?: CallOptions): Promise<{ fileId: string; requestId: string }>;
  /** Creates a job; throws DashScopeAmbiguousError (never re-sent) when the outcome is unknown. */
  createFineTune(body: FineTuneCreateBody, opts?: CallOptions): Promise<{ job: UpstreamFineTuneJob; requestId: string }>;
  getFineTune(jobId: string, opts?: CallOptions): Promise<{ job: UpstreamFineTuneJob; requestId: string }>;
  /** A page of jobs, newest first. */
  listFineTunes(query: { page_no: number; page_size: number }, opts?: CallOptions): Promise<{ jobs: UpstreamFineTuneJob[]; total: number }>;
}
