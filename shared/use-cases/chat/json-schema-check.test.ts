import { describe, expect, it } from 'vitest';
import { ChatRequestError } from './chat-errors.ts';
import { compileSchemaCheck, MAX_JSON_SCHEMA_CHARS, pathText } from './json-schema-check.ts';

// the subset OpenAI structured outputs allow: objects, required, additionalProperties, scalars, enum, const,
// arrays, anyOf, $defs/$ref (recursive too) and nullable unions
const person = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    age: { type: 'integer' },
    score: { type: 'number' },
    admin: { type: 'boolean' },
    nickname: { type: ['string', 'null'] },
    role: { enum: ['owner', 'guest'] },
    kind: { const: 'person' },
    tags: { type: 'array', items: { $ref: '#/$defs/tag' } },
    manager: { anyOf: [{ $ref: '#' }, { type: 'null' }] },
  },
  required: ['name', 'age', 'score', 'admin', 'nickname', 'role', 'kind', 'tags', 'manager'],
  additionalProperties: false,
  $defs: { tag: { type: 'object', properties: { label: { type: 'string' } }, required: ['label'], additionalProperties: false } },
};
const ok = { name: 'Ada', age: 36, score: 9.5, admin: true, nickname: null, role: 'owner', kind: 'person', tags: [{ label: 'x' }], manager: null };
const check = compileSchemaCheck('person', person);
const answer = (over: Record<string, unknown>) => JSON.stringify({ ...ok, ...over });

describe('compileSchemaCheck', () => {
  it('accepts an answer that matches every part of the schema, a recursive reference included', () => {
    expect(check.check(JSON.stringify(ok))).toBeUndefined();
    expect(check.check(answer({ manager: { ...ok, manager: null } }))).toBeUndefined();
  });

  it('names the path that failed and why', () => {
    expect(check.check(answer({ tags: [{ label: 'a' }, { label: 7 }] }))).toMatchObject({ path: '$.tags[1].label', message: expect.stringMatching(/expected string/) });
    expect(check.check(answer({ age: 1.5 }))).toMatchObject({ path: '$.age' });
    expect(check.check(answer({ role: 'admin' }))).toMatchObject({ path: '$.role' });
    expect(check.check(answer({ kind: 'robot' }))).toMatchObject({ path: '$.kind' });
    expect(check.check(answer({ nickname: 3 }))).toMatchObject({ path: '$.nickname' });
    expect(check.check(answer({ manager: { ...ok, admin: 'yes', manager: null } }))).toMatchObject({ path: '$.manager.admin' });
  });

  it('refuses a missing required property and one the schema does not allow', () => {
    const { name: _dropped, ...noName } = ok;
    expect(check.check(JSON.stringify(noName))).toMatchObject({ path: '$.name' });
    expect(check.check(answer({ extra: 1 }))).toMatchObject({ path: '$', message: expect.stringMatching(/extra/) });
  });

  it('says an answer that is not JSON is not JSON', () => {
    expect(check.check('Sure! Here it is: {"name": "Ada"}')).toMatchObject({ path: '$', message: expect.stringMatching(/not JSON/) });
  });

  it('refuses a schema it cannot read or that is not an object, naming the parameter', () => {
    for (const bad of [{ $ref: '#/definitions/missing' }, { type: 'frob' }, 'object', [1]]) {
      let e: unknown;
      try {
        compileSchemaCheck('x', bad);
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(ChatRequestError);
      expect(e).toMatchObject({ code: 'invalid_json_schema', param: 'response_format.json_schema.schema' });
    }
  });

  it('refuses a schema larger than the limit', () => {
    const big = { type: 'object', description: 'x'.repeat(MAX_JSON_SCHEMA_CHARS) };
    expect(() => compileSchemaCheck('big', big)).toThrow(expect.objectContaining({ code: 'json_schema_too_large' }));
  });

  it('writes paths as a reader would', () => {
    expect(pathText([])).toBe('$');
    expect(pathText(['a', 0, 'b-c', 'd'])).toBe('$.a[0]["b-c"].d');
  });
});
