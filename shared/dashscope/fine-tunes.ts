// DashScope's fine-tuning: the training file upload (compatible mode, multipart) and the native jobs
// (`/api/v1/fine-tunes`): create, get, list. A create is never re-sent once it may have reached DashScope.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { FineTuneCreateBody, UpstreamFineTuneJob } from '../ports/fine-tune-upstream.ts';
import type { CallOptions } from '../ports/upstream-call.ts';
import type { DashScopeTransport } from './transport.ts';

const fileSchema = z.looseObject({ id: z.string().min(1), status: z.string().nullish(), bytes: z.number().nullish() });

const jobSchema = z.looseObject({
  job_id: z.string().min(1),
  job_name: z.string().nullish(),
  status: z.string().min(1),
  finetuned_output: z.string().nullish(),
  model: z.string().nullish(),
  usage: z.number().nullish(),
  create_time: z.string().nullish(),
  end_time: z.string().nullish(),
  code: z.string().nullish(),
  message: z.string().nullish(),
});
const jobAnswerSchema = z.looseObject({ request_id: z.string().nullish(), output: jobSchema });
const jobListSchema = z.looseObject({
  output: z.looseObject({ jobs: z.array(jobSchema).nullish(), total: z.number().nullish() }),
});

const JOB_ID = /^[A-Za-z0-9._-]{1,128}$/;
const FILENAME_UNSAFE = /["\r\n\\]/g;

/** A multipart/form-data body of plain fields and one file. */
export function multipartBody(fields: Record<string, string>, file: { field: string; filename: string; contentType: string; data: Buffer }): { body: Buffer; contentType: string } {
  const boundary = `----dashscope-fc-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename.replace(FILENAME_UNSAFE, '_')}"\r\nContent-Type: ${file.contentType}\r\n\r\n`),
    file.data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export class FineTunesApi {
  private readonly filesPath: string;

  /** @param prefix the origin's path prefix (compatible-mode paths keep it), or '' */
  constructor(
    private readonly http: DashScopeTransport,
    prefix: string,
  ) {
    this.filesPath = `${prefix}/compatible-mode/v1/files`;
  }

  async uploadFile(file: { filename: string; data: Buffer }, opts: CallOptions = {}): Promise<{ fileId: string; requestId: string }> {
    const multipart = multipartBody({ purpose: 'fine-tune' }, { field: 'file', filename: file.filename, contentType: 'application/jsonl', data: file.data });
    const { data, requestId } = await this.http.json({ operation: 'uploadFile', method: 'POST', path: this.filesPath, multipart }, fileSchema, opts);
    return { fileId: data.id, requestId };
  }

  async createFineTune(body: FineTuneCreateBody, opts: CallOptions = {}): Promise<{ job: UpstreamFineTuneJob; requestId: string }> {
    const { data, requestId } = await this.http.json({ operation: 'createFineTune', method: 'POST', path: '/api/v1/fine-tunes', json: body, nonIdempotent: true }, jobAnswerSchema, opts);
    return { job: data.output, requestId };
  }

  async getFineTune(jobId: string, opts: CallOptions = {}): Promise<{ job: UpstreamFineTuneJob; requestId: string }> {
    if (!JOB_ID.test(jobId)) throw new TypeError(`not a DashScope fine-tune job id: '${jobId.slice(0, 100)}'`);
    const { data, requestId } = await this.http.json({ operation: 'getFineTune', method: 'GET', path: `/api/v1/fine-tunes/${jobId}` }, jobAnswerSchema, opts);
    return { job: data.output, requestId };
  }

  async listFineTunes(query: { page_no: number; page_size: number }, opts: CallOptions = {}): Promise<{ jobs: UpstreamFineTuneJob[]; total: number }> {
    const { data } = await this.http.json({ operation: 'listFineTunes', method: 'GET', path: '/api/v1/fine-tunes', query }, jobListSchema, opts);
    return { jobs: data.output.jobs ?? [], total: data.output.total ?? 0 };
  }
}
