// DashScope fine-tuning jobs on the native API (/api/v1/fine-tunes): create, get, list, cancel, delete.
// Training files are uploaded through compatible mode (see CompatibleApi.uploadFile). A create is never
// re-sent once it may have reached DashScope (a duplicate job would train, and bill, twice).
import { z } from 'zod';
import type { CallOptions } from './call-options.ts';
import type { NativeTransport } from './native-http.ts';

export const FINE_TUNE_STATUSES = ['PENDING', 'QUEUING', 'RUNNING', 'CANCELING', 'SUCCEEDED', 'FAILED', 'CANCELED'] as const;

const jobSchema = z.looseObject({
  job_id: z.string().min(1),
  job_name: z.string().nullish(),
  status: z.union([z.enum(FINE_TUNE_STATUSES), z.string().min(1)]),
  finetuned_output: z.string().nullish(),
  model: z.string().nullish(),
  base_model: z.string().nullish(),
  training_file_ids: z.array(z.string()).nullish(),
  validation_file_ids: z.array(z.string()).nullish(),
  hyper_parameters: z.record(z.string(), z.unknown()).nullish(),
  training_type: z.string().nullish(),
  create_time: z.string().nullish(),
  end_time: z.string().nullish(),
  usage: z.unknown().optional(),
});
export type DashScopeFineTuneJob = z.infer<typeof jobSchema>;

const jobResponseSchema = z.looseObject({ request_id: z.string().nullish(), output: jobSchema });

// the list layout is not documented in detail: only the jobs array is relied upon
const listResponseSchema = z.looseObject({
  request_id: z.string().nullish(),
  output: z.looseObject({
    page_no: z.number().nullish(),
    page_size: z.number().nullish(),
    total: z.number().nullish(),
    jobs: z.array(jobSchema).nullish(),
  }),
});
export type DashScopeFineTuneList = z.infer<typeof listResponseSchema>;

const ackSchema = z.looseObject({ request_id: z.string().nullish(), output: z.unknown().optional() });

export interface FineTuneCreateBody {
  model: string;
  training_file_ids: string[];
  validation_file_ids?: string[];
  training_type?: 'sft' | 'efficient_sft' | 'dpo_full' | 'dpo_lora' | 'cpt' | (string & {});
  hyper_parameters?: Record<string, unknown>;
  job_name?: string;
}

const JOB_ID = /^[A-Za-z0-9._-]+$/;

function jobPath(jobId: string, suffix = ''): string {
  if (!JOB_ID.test(jobId)) throw new TypeError(`not a DashScope fine-tune job id: '${jobId.slice(0, 100)}'`);
  return `/api/v1/fine-tunes/${jobId}${suffix}`;
}

export class FineTunesApi {
  constructor(private readonly http: NativeTransport) {}

  async createFineTune(body: FineTuneCreateBody, opts: CallOptions = {}): Promise<DashScopeFineTuneJob & { requestId: string }> {
    const { data, requestId } = await this.http.json(
      { operation: 'createFineTune', method: 'POST', path: '/api/v1/fine-tunes', json: body, nonIdempotent: true },
      jobResponseSchema,
      opts,
    );
    return { ...data.output, requestId };
  }

  async getFineTune(jobId: string, opts: CallOptions = {}): Promise<DashScopeFineTuneJob & { requestId: string }> {
    const { data, requestId } = await this.http.json({ operation: 'getFineTune', method: 'GET', path: jobPath(jobId) }, jobResponseSchema, opts);
    return { ...data.output, requestId };
  }

  async listFineTunes(query: { page_no?: number; page_size?: number } = {}, opts: CallOptions = {}): Promise<DashScopeFineTuneList & { requestId: string }> {
    const { data, requestId } = await this.http.json(
      { operation: 'listFineTunes', method: 'GET', path: '/api/v1/fine-tunes', query: { page_no: query.page_no, page_size: query.page_size } },
      listResponseSchema,
      opts,
    );
    return { ...data, requestId };
  }

  async cancelFineTune(jobId: string, opts: CallOptions = {}): Promise<{ requestId: string }> {
    const { requestId } = await this.http.json({ operation: 'cancelFineTune', method: 'POST', path: jobPath(jobId, '/cancel') }, ackSchema, opts);
    return { requestId };
  }

  async deleteFineTune(jobId: string, opts: CallOptions = {}): Promise<{ requestId: string }> {
    const { requestId } = await this.http.json({ operation: 'deleteFineTune', method: 'DELETE', path: jobPath(jobId) }, ackSchema, opts);
    return { requestId };
  }
}
