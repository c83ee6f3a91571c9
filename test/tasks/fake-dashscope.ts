// An in-memory stand-in for DashScope's async task API at the use cases' port (TaskUpstream): tasks walk
// through a per-task plan of statuses, one step per query; creates and queries can be made to fail with the
// client's own error types. It counts what it was asked, and how many queries of one task overlapped.
import { DashScopeAmbiguousError, DashScopeApiError, DashScopeTimeoutError } from '../../shared/dashscope/errors.ts';
import type {
  CreateTaskBody,
  TaskUpstream,
  ListTasksQuery,
  UpstreamResult,
  UpstreamTask,
  UpstreamTaskPage,
} from '../../shared/ports/task-upstream.ts';

/** `ambiguous`: made upstream, answer lost; `ambiguous-lost`: the same error, but nothing was made. */
export type Fault = 'ambiguous' | 'ambiguous-lost' | 'reject' | 'throttle' | 'server-error';

interface FakeTask {
  id: string;
  endpoint: string;
  body: CreateTaskBody;
  createdAt: number;
  plan: string[];
  step: number;
  canceled: boolean;
  results?: UpstreamResult[];
  failure?: { code: string; message: string };
}

const day = 24 * 3600_000;

export class FakeDashScope implements TaskUpstream {
  readonly tasks = new Map<string, FakeTask>();
  readonly creates: CreateTaskBody[] = [];
  queries = 0;
  lists = 0;
  cancels = 0;
  /** Most queries of one task in flight at once (1 = never polled twice at the same time). */
  maxOverlap = 0;
  createFaults: Fault[] = [];
  queryFaults: Fault[] = [];
  /** Statuses each new task reports, one per query; the last one repeats. */
  defaultPlan = ['RUNNING', 'SUCCEEDED'];
  /** Called at the start of every create (e.g. to check what the store holds at that moment). */
  onCreate?: (body: CreateTaskBody) => void | Promise<void>;
  queryDelayMs = 0;
  private seq = 0;
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  private fault(f: Fault | undefined, create: boolean): void {
    if (!f) return;
    if ((f === 'ambiguous' || f === 'ambiguous-lost') && create) throw new DashScopeAmbiguousError({ method: 'POST', path: '/create', sentAt: new Date(), failedAt: new Date(), bodySha256: '', attempts: 1 }, new DashScopeTimeoutError(10));
    if (f === 'reject') throw new DashScopeApiError(400, 'InvalidParameter', 'Model not exist.', { requestId: 'req-reject' });
    if (f === 'throttle') throw new DashScopeApiError(429, 'Throttling.RateQuota', 'Requests rate limit exceeded, please try again later.');
    throw new DashScopeApiError(500, 'InternalError', 'An internal error has occured, please try again later.');
  }

  async createTask(endpoint: string, body: CreateTaskBody): Promise<{ taskId: string; status: string; requestId: string }> {
    await this.onCreate?.(body);
    const f = this.createFaults.shift();
    if (f !== 'ambiguous') this.fault(f, true);
    const id = `ds-${++this.seq}`;
    this.creates.push(body);
    this.tasks.set(id, { id, endpoint, body, createdAt: this.now(), plan: [...this.defaultPlan], step: 0, canceled: false });
    // An ambiguous failure: the task was made, the answer was lost.
    if (f === 'ambiguous') this.fault(f, true);
    return { taskId: id, status: 'PENDING', requestId: `req-${id}` };
  }

  /** Sets what a task will report from its next query on. */
  plan(id: string, plan: string[], extra: Partial<Pick<FakeTask, 'results' | 'failure'>> = {}): void {
    const t = this.tasks.get(id);
    if (!t) throw new Error(`no fake task ${id}`);
    Object.assign(t, { plan, step: 0, ...extra });
  }

  urlFor(id: string, index: number, ext: string): string {
    // from the task's creation, so the same task's URL is the same whenever it is asked for
    const from = this.tasks.get(id)?.createdAt ?? this.now();
    return `https://dashscope-result-bj.oss-cn-beijing.aliyuncs.com/${id}/${index}.${ext}?Expires=${Math.floor((from + day) / 1000)}&Signature=x`;
  }

  async getTask(taskId: string): Promise<UpstreamTask> {
    this.queries++;
    const n = (this.inFlight.get(taskId) ?? 0) + 1;
    this.inFlight.set(taskId, n);
    this.maxOverlap = Math.max(this.maxOverlap, n);
    try {
      if (this.queryDelayMs) await new Promise((r) => setTimeout(r, this.queryDelayMs));
      this.fault(this.queryFaults.shift(), false);
      const t = this.tasks.get(taskId);
      if (!t) return { output: { task_id: taskId, task_status: 'UNKNOWN' } };
      const status = t.canceled ? 'CANCELED' : (t.plan[Math.min(t.step, t.plan.length - 1)] ?? 'PENDING');
      t.step++;
      return { request_id: `req-q-${this.queries}`, output: this.outputOf(t, status), ...(status === 'SUCCEEDED' ? { usage: this.usageOf(t) } : {}) };
    } finally {
      this.inFlight.set(taskId, (this.inFlight.get(taskId) ?? 1) - 1);
    }
  }

  private isImage(t: FakeTask): boolean {
    return t.endpoint === 'text2image';
  }

  private outputOf(t: FakeTask, status: string): UpstreamTask['output'] {
    const base = { task_id: t.id, task_status: status };
    if (status === 'FAILED') return { ...base, ...(t.failure ?? { code: 'InternalError.Algo', message: 'generation failed' }) };
    if (status !== 'SUCCEEDED') return base;
    if (this.isImage(t)) {
      const n = Number(t.body.parameters.n ?? 1);
      return { ...base, end_time: '2030-01-01 08:00:00.000', results: t.results ?? Array.from({ length: n }, (_, i) => ({ url: this.urlFor(t.id, i, 'png') })) };
    }
    return { ...base, end_time: '2030-01-01 08:00:00.000', video_url: this.urlFor(t.id, 0, 'mp4') };
  }

  private usageOf(t: FakeTask): Record<string, unknown> {
    if (this.isImage(t)) return { image_count: t.results ? t.results.filter((r) => r.url).length : Number(t.body.parameters.n ?? 1) };
    return { video_duration: t.body.parameters.duration ?? 5, video_ratio: t.body.parameters.size ?? '1920*1080', video_count: 1 };
  }

  async cancelTask(taskId: string): Promise<unknown> {
    this.cancels++;
    const t = this.tasks.get(taskId);
    const status = t ? t.plan[Math.min(t.step, t.plan.length - 1)] : undefined;
    if (!t || status !== 'PENDING') {
      throw new DashScopeApiError(400, 'UnsupportedOperation', 'Failed to cancel the task, please confirm if the task is in PENDING status.');
    }
    t.canceled = true;
    return { request_id: 'req-cancel' };
  }

  async listTasks(query: ListTasksQuery): Promise<UpstreamTaskPage> {
    this.lists++;
    const data = [...this.tasks.values()]
      .filter((t) => !query.model_name || t.body.model === query.model_name)
      .map((t) => ({ task_id: t.id, status: 'PENDING', model_name: t.body.model, gmt_create: t.createdAt }));
    return { data, total: data.length, total_page: 1, page_no: 1 };
  }
}
