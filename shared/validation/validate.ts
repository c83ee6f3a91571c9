// zod validation of what a caller sent: a failure is an InvalidRequestError naming the field, quoting no more
// than a clipped prefix of the caller's text (zod quotes unknown keys and record keys).
import type { z } from 'zod';
import { clip } from '../text/clip.ts';
import { InvalidRequestError } from './request-errors.ts';

/** A zod path as `a.b.0`, each segment clipped: record keys and unknown keys are the client's text. */
const pathOf = (path: readonly PropertyKey[]): string => path.map((p) => clip(String(p), 40)).join('.');

/** A bad record key (metadata) is named by its record, with the key's own rule rather than zod's generic words. */
function located(i: z.core.$ZodIssue): { path: readonly PropertyKey[]; message: string } {
  if (i.code !== 'invalid_key') return { path: i.path, message: clip(i.message, 200) };
  const key = clip(String(i.path[i.path.length - 1] ?? ''), 40);
  return { path: i.path.slice(0, -1), message: `key '${key}': ${clip(i.issues[0]?.message ?? i.message, 200)}` };
}

/** Formats zod issues as `field.path: message; …` (at most five). */
export function describeIssues(error: z.ZodError): { message: string; param?: string } {
  const issues = error.issues.slice(0, 5).map(located);
  const message = issues.map((i) => `${i.path.length ? pathOf(i.path) : 'body'}: ${i.message}`).join('; ');
  const first = issues[0];
  return { message, ...(first?.path.length ? { param: pathOf(first.path) } : {}) };
}

export function validate<T>(schema: z.ZodType<T>, value: unknown, code = 'invalid_request'): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const { message, param } = describeIssues(r.error);
  throw new InvalidRequestError(code, message, param);
}
