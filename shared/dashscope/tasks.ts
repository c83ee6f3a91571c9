// DashScope's native asynchronous tasks (image and video generation): create, query, cancel, list.
// A create is sent with `X-DashScope-Async: enable` and is never re-sent once it may have reached DashScope.
import type { CallOptions } from '../ports/upstream-call.ts';
import type { DashScopeTransport } from './transport.ts';
import {
  taskCancelResponseSchema,
  taskCreateResponseSchema,
  taskListResponseSchema,
  taskQueryResponseSchema,
} from './task-schemas.ts';
import type { DashScopeTaskList, DashScopeTaskResponse } from './task-schemas.ts';

/** Short names of the task-creating services; any other `group/task/function` (or full path) also works. */
export const TASK_ENDPOINTS = {
  text2image: '/api/v1/services/aigc/text2image/image-synthesis',
  'video-synthesis': '/api/v1/services/aigc/video-generation/video-synthesis',
  'image-generation': '/api/v1/services/aigc/image-generation/generation',
} as const;
export type TaskEndpoint = keyof typeof TASK_ENDPOINTS;

const SERVICES = '/api/v1/services/';
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** The path of a task service: a short name, `group/task/function`, or a full `/api/v1/services/...` path. */
export function taskServicePath(endpoint: TaskEndpoint | (string & {})): string {
  if (Object.hasOwn(TASK_ENDPOINTS, endpoint)) return TASK_ENDPOINTS[endpoint as TaskEndpoint];
  const rest = endpoint.startsWith(SERVICES) ? endpoint.slice(SERVICES.length) : endpoint;
  const parts = rest.split('/');
  if (parts.length < 2 || !parts.every((p) => SEGMENT.test(p) && p !== '.' && p !== '..')) {
    throw new TypeError(`not a DashScope task service: '${endpoint.slice(0, 100)}'`);
  }
  return SERVICES + rest;
}

function taskPath(taskId: string, suffix = ''): string {
  if (!SEGMENT.test(taskId)) throw new TypeError(`not a DashScope task id: '${taskId.slice(0, 100)}'`);
  return `/api/v1/tasks/${taskId}${suffix}`;
}

/** The list endpoint's query, in DashScope's own names; times as `YYYYMMDDhhmmss` (UTC+8) or as Dates. */
export interface TaskListQuery {
  /** The window is at most 24 h (DashScope's default: the last 24 h). */
  start_time?: string | Date;
  end_time?: string | Date;
  model_name?: string;
  status?: string;
  page_no?: number;
  page_size?: number;
}

/** The body of a task create: `{model, input, parameters}` (passed through as it is). */
export interface TaskCreateBody {
  model: string;
  input: object;
  parameters?: object;
}

/** `YYYYMMDDhhmmss` in UTC+8, the zone of DashScope's timestamps (assumed for the list window too). */
export function formatListTime(date: Date): string {
  const shifted = new Date(date.getTime() + 8 * 3600_000).toISOString();
  return shifted.slice(0, 19).replace(/[-T:]/g, '');
}

const listTime = (t: string | Date | undefined): string | undefined => (t instanceof Date ? formatListTime(t) : t);

export class TasksApi {
  constructor(private readonly http: DashScopeTransport) {}

  async createTask(
    endpoint: TaskEndpoint | (string & {}),
    body: TaskCreateBody,
    opts: CallOptions = {},
  ): Promise<{ taskId: string; status: string; requestId: string }> {
    const { data, requestId } = await this.http.json(
      {
        operation: 'createTask',
        method: 'POST',
        path: taskServicePath(endpoint),
        json: body,
        headers: { 'X-DashScope-Async': 'enable' },
        nonIdempotent: true,
      },
      taskCreateResponseSchema,
      opts,
    );
    return { taskId: data.output.task_id, status: data.output.task_status, requestId };
  }

  async getTask(taskId: string, opts: CallOptions = {}): Promise<DashScopeTaskResponse & { requestId: string }> {
    const { data, requestId } = await this.http.json({ operation: 'getTask', method: 'GET', path: taskPath(taskId) }, taskQueryResponseSchema, opts);
    return { ...data, requestId };
  }

  /** Only a PENDING task can be cancelled; otherwise DashScope answers 400 `UnsupportedOperation`. */
  async cancelTask(taskId: string, opts: CallOptions = {}): Promise<{ requestId: string }> {
    const { requestId } = await this.http.json({ operation: 'cancelTask', method: 'POST', path: taskPath(taskId, '/cancel') }, taskCancelResponseSchema, opts);
    return { requestId };
  }

  async listTasks(query: TaskListQuery = {}, opts: CallOptions = {}): Promise<DashScopeTaskList & { requestId: string }> {
    const { data, requestId } = await this.http.json(
      {
        operation: 'listTasks',
        method: 'GET',
        path: '/api/v1/tasks',
        query: {
          start_time: listTime(query.start_time),
          end_time: listTime(query.end_time),
          model_name: query.model_name,
          status: query.status,
          page_no: query.page_no,
          page_size: query.page_size,
        },
      },
      taskListResponseSchema,
      opts,
    );
    return { ...data, requestId };
  }
}
