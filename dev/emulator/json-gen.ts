// Valid JSON for JSON mode and tool arguments: a value shaped by a JSON Schema when one is given (tool
// parameters, `json_schema`, or a schema a client put in the prompt), else a small fixed object.
import { hash32, keywords, salientPhrase } from './text-gen.ts';

type Schema = Record<string, unknown>;
const isObj = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

function resolveRef(ref: string, root: Schema): Schema | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) node = isObj(node) ? node[part] : undefined;
  return isObj(node) ? node : undefined;
}

/** A value that satisfies the common parts of `schema` (type, properties, enum, const, items, bounds). */
export function valueFromSchema(schema: unknown, prompt: string, root: Schema = isObj(schema) ? schema : {}, depth = 0, name = ''): unknown {
  if (!isObj(schema) || depth > 8) return null;
  if (typeof schema.$ref === 'string') return valueFromSchema(resolveRef(schema.$ref, root), prompt, root, depth + 1, name);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length) {
      const pick = options.find((o) => isObj(o) && o.type !== 'null') ?? options[0];
      return valueFromSchema(pick, prompt, root, depth + 1, name);
    }
  }
  const type = Array.isArray(schema.type) ? (schema.type.find((t) => t !== 'null') ?? 'null') : schema.type;
  switch (type ?? (isObj(schema.properties) ? 'object' : 'string')) {
    case 'object': {
      const props = isObj(schema.properties) ? schema.properties : {};
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, valueFromSchema(v, prompt, root, depth + 1, k)]));
    }
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 1;
      return Array.from({ length: Math.max(1, Math.min(min, 3)) }, (_, i) => valueFromSchema(schema.items, prompt, root, depth + 1, `${name}${i}`));
    }
    case 'integer':
    case 'number': {
      const lo = typeof schema.minimum === 'number' ? schema.minimum : 1;
      const hi = typeof schema.maximum === 'number' ? schema.maximum : lo + 99;
      const n = lo + (hash32(`${prompt}|${name}`) % (Math.max(0, Math.floor(hi - lo)) + 1));
      return type === 'integer' ? Math.ceil(n) : n;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default: {
      if (schema.format === 'date-time') return '2026-01-01T00:00:00Z';
      if (schema.format === 'date') return '2026-01-01';
      const s = /location|city|place|name|country|query|topic|title/i.test(name) ? salientPhrase(prompt) : (keywords(prompt, 1)[0] ?? 'example');
      return typeof schema.maxLength === 'number' ? s.slice(0, schema.maxLength) : s;
    }
  }
}

/** A JSON Schema a client embedded in its messages (e.g. "JSON schema:\n{...}"), if any. */
export function schemaFromText(text: string): Schema | undefined {
  const at = text.search(/json schema/i);
  if (at < 0) return undefined;
  const start = text.indexOf('{', at);
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      try {
        const parsed: unknown = JSON.parse(text.slice(start, i + 1));
        return isObj(parsed) ? parsed : undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The JSON-mode answer: shaped by `schema` when given, else `{answer, keywords, tokens}`. */
export function jsonAnswer(prompt: string, answer: string, schema?: Schema): string {
  if (schema) return JSON.stringify(valueFromSchema(schema, prompt));
  return JSON.stringify({ answer, keywords: keywords(prompt), tokens: answer.split(/\s+/).filter(Boolean).length });
}
