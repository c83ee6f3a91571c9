// Checks a model's JSON answer against the JSON Schema of `response_format: json_schema` (zod's fromJSONSchema
// does the schema work), naming the path where it fails; a schema zod cannot read is the client's error.
import { z } from 'zod';
import { JsonInputError, parseJson } from '../../json/parse-json.ts';
import { ChatRequestError } from './chat-errors.ts';

/** Largest schema (as JSON text) the layer puts into the instructions and checks answers against. */
export const MAX_JSON_SCHEMA_CHARS = 64 * 1024;

const SCHEMA_PARAM = 'response_format.json_schema.schema';

export interface SchemaMismatch {
  /** Where the answer failed, `$` for the whole value (`$.items[2].name`). */
  path: string;
  message: string;
}

export interface SchemaCheck {
  /** The client's name for the schema (`json_schema.name`). */
  readonly name: string;
  /** The schema as JSON text, for the instructions. */
  readonly text: string;
  /** undefined when `answer` is JSON that matches the schema. */
  check(answer: string): SchemaMismatch | undefined;
}

export function pathText(path: readonly PropertyKey[]): string {
  let out = '$';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`;
  return out;
}

/** The issue to report: inside a union, the branch that got furthest into the value says the most. */
function deepest(issue: z.core.$ZodIssue): z.core.$ZodIssue & { fullPath: PropertyKey[] } {
  if (issue.code === 'invalid_union' && issue.errors.length) {
    let best: (z.core.$ZodIssue & { fullPath: PropertyKey[] }) | undefined;
    for (const branch of issue.errors) {
      const first = branch[0];
      if (!first) continue;
      const d = deepest(first);
      if (!best || d.fullPath.length > best.fullPath.length) best = d;
    }
    if (best && best.fullPath.length > 0) return { ...best, fullPath: [...issue.path, ...best.fullPath] };
  }
  return { ...issue, fullPath: [...issue.path] };
}

/** Compiles the client's schema; a schema that is too large or that zod cannot read is refused naming it. */
export function compileSchemaCheck(name: string, schema: unknown): SchemaCheck {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new ChatRequestError('invalid_json_schema', 'response_format.json_schema.schema must be a JSON Schema object', SCHEMA_PARAM);
  }
  const text = JSON.stringify(schema);
  if (text.length > MAX_JSON_SCHEMA_CHARS) {
    throw new ChatRequestError('json_schema_too_large', `response_format.json_schema.schema is ${text.length} characters; at most ${MAX_JSON_SCHEMA_CHARS} are accepted`, SCHEMA_PARAM);
  }
  let type: z.ZodType;
  try {
    type = z.fromJSONSchema(schema as z.core.JSONSchema.JSONSchema);
  } catch (e) {
    // zod's words name the keyword or reference at fault (e.g. "Reference not found: #/definitions/A")
    const why = e instanceof Error ? e.message.slice(0, 200) : 'unreadable';
    throw new ChatRequestError('invalid_json_schema', `response_format.json_schema.schema is not a JSON Schema the layer can check: ${why}`, SCHEMA_PARAM);
  }
  return {
    name,
    text,
    check(answer) {
      let value: unknown;
      try {
        value = parseJson(answer);
      } catch (e) {
        const why = e instanceof JsonInputError ? e.message : 'not JSON';
        return { path: '$', message: `the answer is not JSON (${why.slice(0, 120)})` };
      }
      let r: ReturnType<z.ZodType['safeParse']>;
      try {
        r = type.safeParse(value);
      } catch {
        return { path: '$', message: 'the answer could not be checked against the schema' };
      }
      if (r.success) return undefined;
      const first = r.error.issues[0];
      if (!first) return { path: '$', message: 'does not match the schema' };
      const issue = deepest(first);
      return { path: pathText(issue.fullPath), message: issue.message };
    },
  };
}
