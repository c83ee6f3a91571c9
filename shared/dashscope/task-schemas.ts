// zod schemas of DashScope's native async task answers (create, query, list): lenient about extra fields,
// strict about the fields the task pipeline depends on (task id, status, result URLs or per-result errors).
import { z } from 'zod';

export const DASHSCOPE_TASK_STATUSES = ['PENDING', 'RUNNING', 'SUSPENDED', 'SUCCEEDED', 'FAILED', 'CANCELED', 'UNKNOWN'] as const;
export type DashScopeTaskStatus = (typeof DASHSCOPE_TASK_STATUSES)[number];

/** A status outside the documented set is kept as-is (typed loosely) rather than failing the poll. */
const taskStatus = z.union([z.enum(DASHSCOPE_TASK_STATUSES), z.string().min(1)]);

export const taskCreateResponseSchema = z.looseObject({
  output: z.looseObject({ task_id: z.string().min(1), task_status: taskStatus }),
  request_id: z.string().nullish(),
});

/** One image result: a URL, or (partial failure) a code and message in its place. */
export const taskResultSchema = z.union([
  z.looseObject({ url: z.string().min(1), orig_prompt: z.string().nullish(), actual_prompt: z.string().nullish() }),
  z.looseObject({ code: z.string().min(1), message: z.string().nullish() }),
]);
export type DashScopeTaskResult = z.infer<typeof taskResultSchema>;

export const taskQueryResponseSchema = z.looseObject({
  request_id: z.string().nullish(),
  output: z.looseObject({
    task_id: z.string().nullish(),
    task_status: taskStatus,
    submit_time: z.string().nullish(),
    scheduled_time: z.string().nullish(),
    end_time: z.string().nullish(),
    results: z.array(taskResultSchema).nullish(),
    video_url: z.string().nullish(),
    orig_prompt: z.string().nullish(),
    actual_prompt: z.string().nullish(),
    /** FAILED tasks carry their error inside `output`, with HTTP 200. */
    code: z.string().nullish(),
    message: z.string().nullish(),
    task_metrics: z.looseObject({ TOTAL: z.number().nullish(), SUCCEEDED: z.number().nullish(), FAILED: z.number().nullish() }).nullish(),
  }),
  usage: z.record(z.string(), z.unknown()).nullish(),
});
export type DashScopeTaskResponse = z.infer<typeof taskQueryResponseSchema>;

export const taskCancelResponseSchema = z.looseObject({ request_id: z.string().nullish() });

export const taskListResponseSchema = z.looseObject({
  request_id: z.string().nullish(),
  total: z.number().nullish(),
  total_page: z.number().nullish(),
  page_no: z.number().nullish(),
  page_size: z.number().nullish(),
  data: z
    .array(
      z.looseObject({
        task_id: z.string(),
        status: z.string().nullish(),
        model_name: z.string().nullish(),
        request_id: z.string().nullish(),
        gmt_create: z.number().nullish(),
        start_time: z.number().nullish(),
        end_time: z.number().nullish(),
      }),
    )
    .nullish(),
});
export type DashScopeTaskList = z.infer<typeof taskListResponseSchema>;
