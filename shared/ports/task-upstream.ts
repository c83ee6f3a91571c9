// The task upstream: DashScope's native asynchronous tasks (create, query, cancel, list), as the task use
// cases need them. Calls fail with shared/dashscope/errors.ts's typed errors (sorted by upstream-api.ts).
import type { CallOptions } from './upstream-call.ts';

export interface CreateTaskBody {
  model: string;
  input: Record<string, unknown>;
  parameters: Record<string, unknown>;
}

export interface UpstreamResult {
  url?: string | null;
  code?: string | null;
  message?: string | null;
}

/** DashScope's native task answer (`GET /api/v1/tasks/{id}`), already zod-parsed by the client. */
export interface UpstreamTask {
  request_id?: string | null;
  output: {
    task_id?: string | null;
    task_status: string;
    results?: readonly UpstreamResult[] | null;
    video_url?: string | null;
    code?: string | null;
    message?: string | null;
    end_time?: string | null;
    /** A fine-tune job's result (jobs are read as tasks): the fine-tuned model id. */
    finetuned_output?: string | null;
  };
  usage?: Record<string, unknown> | null;
}

export interface ListTasksQuery {
  start_time?: string;
  end_time?: string;
  model_name?: string;
  status?: string;
  page_no?: number;
  page_size?: number;
}

export interface UpstreamListedTask {
  task_id: string;
  status?: string | null;
  model_name?: string | null;
  /** Epoch ms. */
  gmt_create?: number | string | null;
}

export interface UpstreamTaskPage {
  data?: readonly UpstreamListedTask[] | null;
  total?: number | null;
  total_page?: number | null;
  page_no?: number | null;
}

export interface TaskUpstream {
  createTask(endpoint: string, body: CreateTaskBody, opts?: CallOptions): Promise<{ taskId: string; status: string; requestId: string }>;
  getTask(taskId: string, opts?: CallOptions): Promise<UpstreamTask>;
  cancelTask(taskId: string, opts?: CallOptions): Promise<unknown>;
  listTasks(query: ListTasksQuery, opts?: CallOptions): Promise<UpstreamTaskPage>;
}
