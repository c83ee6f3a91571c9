import { describe, expect, it } from 'vitest';
import { JsonInputError, MAX_JSON_DEPTH, parseJson } from './parse-json.ts';

const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

function failure(text: string): JsonInputError {
  try {
    parseJson(text);
  } catch (e) {
    if (e instanceof JsonInputError) return e;
    throw e;
  }
  throw new Error('parsed');
}

describe('parseJson', () => {
  it('refuses arrays nested 5,000 deep with json_too_deep and a message naming the limit', () => {
    const e = failure(`{"model":"qwen-plus","extra":${nested(5_000)}}`);
    expect(e.code).toBe('json_too_deep');
    expect(e.message).toContain(String(MAX_JSON_DEPTH));
  });

  it('accepts nesting up to the limit and refuses one level more, objects and arrays alike', () => {
    expect(parseJson(nested(MAX_JSON_DEPTH))).toBeInstanceOf(Array);
    expect(failure(nested(MAX_JSON_DEPTH + 1)).code).toBe('json_too_deep');
    const objects = '{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 1);
    expect(failure(objects).code).toBe('json_too_deep');
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ s: '['.repeat(500), t: 'say \\"[[[[\\" and "{{{{"', u: ['\\'] });
    expect(parseJson(text)).toEqual(JSON.parse(text));
  });

  it('answers invalid_json for malformed text', () => {
    expect(failure('{"a":').code).toBe('invalid_json');
    expect(failure(']]]]' + nested(10)).code).toBe('invalid_json');
  });

  it('judges UTF-8 bytes exactly as the decoded text, multi-byte characters and escapes included', () => {
    const inner = JSON.stringify({ s: '😀[{ "ü" \\', t: ['é'] });
    for (const depth of [MAX_JSON_DEPTH - 2, MAX_JSON_DEPTH - 1]) {
      const text = '['.repeat(depth) + inner + ']'.repeat(depth);
      const bytes = Buffer.from(text, 'utf8');
      if (depth + 2 <= MAX_JSON_DEPTH) {
        expect(parseJson(bytes)).toEqual(JSON.parse(text));
        expect(parseJson(text)).toEqual(JSON.parse(text));
      } else {
        expect(() => parseJson(bytes)).toThrow('levels deep');
        expect(() => parseJson(text)).toThrow('levels deep');
      }
    }
  });
});
