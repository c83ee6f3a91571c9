// EventBridge pattern matching for the local runtime's eventbridge triggers: each supported operator, and a
// loud refusal of the ones it does not implement.
import { describe, expect, it } from 'vitest';
import { compileEventPattern, EventPatternError } from './event-pattern.ts';

const event = { source: 'dashscope-fc', type: 'task.persisted', subject: 'task_1', data: { status: 'PERSISTED', model: 'wanx2.1-t2i-turbo', tags: ['a', 'b'] } };

describe('compileEventPattern', () => {
  it.each([
    ['literal list', { type: ['task.failed', 'task.persisted'] }, true],
    ['literal list, no match', { type: ['task.failed'] }, false],
    ['prefix', { type: [{ prefix: 'task.' }] }, true],
    ['suffix', { subject: [{ suffix: '_2' }] }, false],
    ['anything-but', { type: [{ 'anything-but': ['task.failed'] }] }, true],
    ['anything-but the value itself', { type: [{ 'anything-but': 'task.persisted' }] }, false],
    ['exists true', { data: { model: [{ exists: true }] } }, true],
    ['exists false', { data: { usage: [{ exists: false }] } }, true],
    ['nested field', { data: { status: ['PERSISTED'] } }, true],
    ['array field matches any element', { data: { tags: ['b'] } }, true],
    ['every field must match', { source: ['dashscope-fc'], type: ['task.failed'] }, false],
  ])('%s', (_name, pattern, expected) => {
    expect(compileEventPattern(JSON.stringify(pattern))(event)).toBe(expected);
  });

  it('refuses an operator it does not implement instead of silently matching nothing', () => {
    expect(() => compileEventPattern(JSON.stringify({ data: { n: [{ numeric: ['>', 1] }] } }))).toThrow(EventPatternError);
    expect(() => compileEventPattern('not json')).toThrow(EventPatternError);
  });
});
