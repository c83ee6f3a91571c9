// submitFromInbox: a task request uploaded as JSON under `inbox/<tenant>/` (by an app that cannot call HTTP)
// is submitted for that tenant with the object key as its idempotency key, so a redelivered event finds the same task.
import { TENANT_NAME_PATTERN } from '../../domain/tenant.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { JsonInputError, parseJson } from '../../json/parse-json.ts';
import { submitTask, type SubmitResult } from './submit-task.ts';
import { BudgetExceededError } from '../guards/guard-errors.ts';
import { IdempotencyKeyReusedError } from './task-errors.ts';
import { defaultTimings, type TaskDeps, type TaskTimings } from './task-deps.ts';
import { parseTaskRequest, TASK_MAX_BODY_BYTES } from './task-request.ts';

export const INBOX_PREFIX = 'inbox/';
export const INBOX_ERRORS_PREFIX = 'inbox-errors/';

/** Where the error report of a refused upload goes: `inbox/a/b.json` → `inbox-errors/a/b.json.error.json`. */
export const inboxErrorKey = (key: string): string => `${INBOX_ERRORS_PREFIX}${key.slice(INBOX_PREFIX.length)}.error.json`;

/**
 * The tenant an inbox key names: `inbox/<tenant>/<name>`, the tenant a valid tenant name and the name not
 * empty; undefined for any other key.
 */
export function inboxTenant(key: string): string | undefined {
  if (!key.startsWith(INBOX_PREFIX)) return undefined;
  const rest = key.slice(INBOX_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash === -1 || slash === rest.length - 1) return undefined;
  const tenant = rest.slice(0, slash);
  return TENANT_NAME_PATTERN.test(tenant) ? tenant : undefined;
}

export type InboxOutcome =
  | { kind: 'submitted'; tenant: string; result: SubmitResult }
  /** Gone before it was read (deleted): nothing to do. */
  | { kind: 'missing' }
  /** Never valid: not JSON, too large, or not a task request. */
  | { kind: 'invalid'; code: string; message: string };

async function readSmall(deps: TaskDeps, key: string): Promise<Buffer | 'too-large' | undefined> {
  const meta = await deps.objects.head(key);
  if (!meta) return undefined;
  if (meta.bytes > TASK_MAX_BODY_BYTES) return 'too-large';
  const { body } = await deps.objects.get(key);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > TASK_MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function submitFromInbox(deps: TaskDeps, key: string, timings: TaskTimings = defaultTimings(deps.config)): Promise<InboxOutcome> {
  const outcome = await submitUpload(deps, key, timings);
  // never valid, so not retried: the error goes under `inbox-errors/` (outside the trigger's prefix), where
  // the app that uploaded it can see why
  if (outcome.kind === 'invalid') {
    const report = { key, error: { code: outcome.code, message: outcome.message }, at: deps.clock.now().toISOString() };
    await deps.objects.put(inboxErrorKey(key), Buffer.from(JSON.stringify(report, null, 2)), { contentType: 'application/json' });
  }
  return outcome;
}

async function submitUpload(deps: TaskDeps, key: string, timings: TaskTimings): Promise<InboxOutcome> {
  // the prefix is the only thing that says whose task it would be: without a tenant there is no owner
  const tenant = inboxTenant(key);
  if (tenant === undefined) {
    return { kind: 'invalid', code: 'invalid_inbox_key', message: `the object key must name its tenant: ${INBOX_PREFIX}<tenant>/<name>.json, the tenant 1-63 lower-case letters, digits, - or _` };
  }
  const raw = await readSmall(deps, key);
  if (raw === undefined) return { kind: 'missing' };
  if (raw === 'too-large') return { kind: 'invalid', code: 'request_too_large', message: `the request exceeds ${TASK_MAX_BODY_BYTES} bytes` };
  let json: unknown;
  try {
    json = parseJson(raw);
  } catch (e) {
    if (e instanceof JsonInputError) return { kind: 'invalid', code: e.code, message: `the upload ${e.message}` };
    throw e;
  }
  try {
    const parsed = parseTaskRequest(json);
    // The app finds its task (and its events) by the key it uploaded.
    const request = { ...parsed, metadata: { ...parsed.metadata, inboxKey: key.slice(0, 512) } };
    // the tenant's own limits and budgets apply as they would to its key (a rate limit fails the invocation,
    // so the trigger delivers it again later)
    const principal = deps.tenants ? await deps.tenants.principal(tenant) : undefined;
    const result = await submitTask(deps, { request, tenant, ...(principal ? { principal } : {}), idempotencyKey: `oss:${key}`, requestId: `inbox:${key}` }, timings);
    return { kind: 'submitted', tenant, result };
  } catch (e) {
    // The request (or an overwrite of it under the same key) can never be accepted as it is; a spent budget
    // is said in the error object too, rather than retried until the event is too old.
    if (e instanceof InvalidRequestError || e instanceof IdempotencyKeyReusedError || e instanceof BudgetExceededError) return { kind: 'invalid', code: e.code, message: e.message };
    throw e;
  }
}
