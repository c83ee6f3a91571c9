// Batch uploads, `inbox/<tenant>/tasks/<name>.jsonl`: one task request per line, each submitted once for the
// tenant (keyed by the object, its version and the line, so a redelivered event finds the same tasks) and
// left to poll-task to send; a summary of each line's task id or error goes to `inbox-results/`.
import { createHash } from 'node:crypto';
import type { Principal } from '../../domain/tenant.ts';
import { JsonInputError, parseJson } from '../../json/parse-json.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { BudgetExceededError, RateLimitedError } from '../guards/guard-errors.ts';
import { submitTask } from './submit-task.ts';
import { IdempotencyKeyReusedError } from './task-errors.ts';
import { defaultTimings, type TaskDeps, type TaskTimings } from './task-deps.ts';
import { parseTaskRequest, TASK_MAX_BODY_BYTES } from './task-request.ts';

export const INBOX_RESULTS_PREFIX = 'inbox-results/';
export const BATCH_MAX_BYTES = 16 * 1024 * 1024;
export const BATCH_MAX_LINES = 1_000;

/** What an upload under `inbox/<tenant>/` is, by its key: a batch of tasks, fine-tune data, or one task request. */
export function inboxUploadKind(key: string): 'tasks-batch' | 'finetune-data' | 'task' {
  const m = /^inbox\/[^/]+\/(tasks|finetune)\/.+\.jsonl$/.exec(key);
  return m ? (m[1] === 'tasks' ? 'tasks-batch' : 'finetune-data') : 'task';
}

/** Where the summary (or report) of an upload goes: `inbox/a/tasks/b.jsonl` → `inbox-results/a/tasks/b.jsonl.<suffix>`. */
export const inboxResultKey = (key: string, suffix: 'summary.json' | 'report.json'): string => `${INBOX_RESULTS_PREFIX}${key.slice('inbox/'.length)}.${suffix}`;

export type BatchLineResult = { line: number; taskId: string } | { line: number; error: { code: string; message: string } };

/** The summary object: the same bytes however often the upload's event is delivered. */
export interface BatchSummary {
  key: string;
  etag?: string;
  /** Lines that held a request (blank lines are skipped). */
  lines: number;
  submitted: number;
  failed: number;
  results: BatchLineResult[];
  /** The upload as a whole was refused (empty, too large, too many lines): nothing was submitted. */
  error?: { code: string; message: string };
}

export type BatchOutcome = { kind: 'missing' } | { kind: 'summarized'; summary: BatchSummary };

const lineKey = (key: string, etag: string | undefined, line: number): string =>
  `batch:${createHash('sha256').update(`${key}\n${etag ?? ''}`).digest('hex').slice(0, 40)}:${line}`;

async function readAll(body: AsyncIterable<Buffer>, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

interface BatchContext {
  tenant: string;
  principal: Principal | undefined;
  key: string;
  etag: string | undefined;
  timings: TaskTimings;
}

async function submitLine(deps: TaskDeps, b: BatchContext, line: number, text: string): Promise<BatchLineResult> {
  const { tenant, principal, key } = b;
  const refuse = (code: string, message: string): BatchLineResult => ({ line, error: { code, message } });
  if (Buffer.byteLength(text) > TASK_MAX_BODY_BYTES) return refuse('request_too_large', `the line exceeds ${TASK_MAX_BODY_BYTES} bytes`);
  try {
    const parsed = parseTaskRequest(parseJson(text));
    const request = { ...parsed, metadata: { ...parsed.metadata, inboxKey: key.slice(0, 512), inboxLine: String(line) } };
    const result = await submitTask(
      deps,
      { request, tenant, ...(principal ? { principal } : {}), idempotencyKey: lineKey(key, b.etag, line), requestId: `inbox:${key}#${line}`, defer: true },
      b.timings,
    );
    return { line, taskId: result.task.id };
  } catch (e) {
    if (e instanceof JsonInputError) return refuse(e.code, `the line ${e.message}`);
    // never valid as it stands (a store failure fails the invocation, which is delivered again)
    if (e instanceof InvalidRequestError || e instanceof IdempotencyKeyReusedError || e instanceof BudgetExceededError) return refuse(e.code, e.message);
    // past the tenant's rate limit: the line is reported, not waited for (a batch larger than the limit would
    // otherwise fail every delivery at the same line and never get its summary); upload such lines again later
    if (e instanceof RateLimitedError) return refuse('rate_limit_exceeded', `${e.message}; this line was not submitted`);
    throw e;
  }
}

export async function submitBatchFromInbox(deps: TaskDeps, key: string, tenant: string, timings: TaskTimings = defaultTimings(deps.config)): Promise<BatchOutcome> {
  const meta = await deps.objects.head(key);
  if (!meta) return { kind: 'missing' };
  const base = { key, ...(meta.etag ? { etag: meta.etag } : {}) };
  const refused = (code: string, message: string): BatchSummary => ({ ...base, lines: 0, submitted: 0, failed: 0, results: [], error: { code, message } });
  let summary: BatchSummary;
  if (meta.bytes === 0) summary = refused('empty_file', 'the upload is empty (0 bytes): one task request per line is expected');
  else if (meta.bytes > BATCH_MAX_BYTES) summary = refused('file_too_large', `the upload is ${meta.bytes} bytes; at most ${BATCH_MAX_BYTES} bytes per batch`);
  else {
    const data = await readAll((await deps.objects.get(key)).body as AsyncIterable<Buffer>, BATCH_MAX_BYTES);
    const lines = data === undefined ? undefined : data.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
    const filled = lines?.map((text, i) => ({ text, line: i + 1 })).filter((l) => l.text.trim() !== '') ?? [];
    if (data === undefined) summary = refused('file_too_large', `the upload is over ${BATCH_MAX_BYTES} bytes`);
    else if (filled.length === 0) summary = refused('empty_file', 'the upload has no task request (only blank lines)');
    else if (filled.length > BATCH_MAX_LINES) summary = refused('too_many_lines', `${filled.length} task requests; at most ${BATCH_MAX_LINES} per batch (split the file)`);
    else {
      const results: BatchLineResult[] = [];
      // the tenant's own limits and budgets apply as they would to its key
      const principal = deps.tenants ? await deps.tenants.principal(tenant) : undefined;
      const batch: BatchContext = { tenant, principal, key, etag: meta.etag, timings };
      // in order, one at a time: each line's admission sees the budget the lines before it reserved
      for (const l of filled) results.push(await submitLine(deps, batch, l.line, l.text));
      const submitted = results.filter((r) => 'taskId' in r).length;
      summary = { ...base, lines: filled.length, submitted, failed: results.length - submitted, results };
    }
  }
  await deps.objects.put(inboxResultKey(key, 'summary.json'), Buffer.from(JSON.stringify(summary, null, 2)), { contentType: 'application/json' });
  return { kind: 'summarized', summary };
}
