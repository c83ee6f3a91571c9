// The training data check: each rule reported at its line, and a clean file passing.
import { describe, expect, it } from 'vitest';
import { validateTrainingData } from './validate-training-data.ts';

const SYSTEM = { role: 'system', content: 'You are a helpful assistant.' };
const example = (i: number, system: object | null = SYSTEM) =>
  JSON.stringify({ messages: [...(system ? [system] : []), { role: 'user', content: `question ${i}` }, { role: 'assistant', content: `answer ${i}` }] });
const file = (lines: string[]) => `${lines.join('\n')}\n`;
const clean = (n: number) => Array.from({ length: n }, (_, i) => example(i));

describe('validateTrainingData', () => {
  it('passes 50 distinct, well-formed examples with one system prompt', () => {
    expect(validateTrainingData(file(clean(50)))).toEqual({ ok: true, examples: 50, errors: [], notes: [] });
  });

  it('reports each seeded defect at its line', () => {
    const lines = clean(60);
    lines[2] = '{"messages": [';
    lines[4] = JSON.stringify({ prompt: 'x', completion: 'y' });
    lines[6] = JSON.stringify({ messages: [SYSTEM, { role: 'bot', content: 'hi' }] });
    lines[8] = JSON.stringify({ messages: [SYSTEM, { role: 'assistant', content: 'a' }, { role: 'user', content: 'q' }] });
    lines[10] = JSON.stringify({ messages: [SYSTEM, { role: 'user', content: 'q' }] });
    lines[12] = example(12, { role: 'system', content: 'Another prompt.' });
    lines[14] = example(0);
    lines[16] = JSON.stringify({ messages: [SYSTEM, { role: 'user', content: 'q' }, { role: 'assistant', content: 'word '.repeat(40_000) }] });
    lines[18] = JSON.stringify({ messages: [SYSTEM, { role: 'system', content: 'again' }, { role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }] });
    lines[20] = JSON.stringify({ messages: [SYSTEM] });
    lines[22] = JSON.stringify([1, 2]);
    const report = validateTrainingData(file(lines));
    expect(report.ok).toBe(false);
    expect(report.examples).toBe(60);
    expect(report.errors.map((e) => [e.line, e.code])).toEqual([
      [3, 'invalid_json'],
      [5, 'missing_messages'],
      [7, 'invalid_role'],
      [9, 'role_order'],
      [11, 'last_not_assistant'],
      [13, 'inconsistent_system_prompt'],
      [15, 'duplicate_example'],
      [17, 'too_long'],
      [19, 'role_order'],
      [21, 'no_user_turn'],
      [23, 'not_an_object'],
    ]);
    expect(report.errors.find((e) => e.line === 15)?.message).toBe('the same example as line 1');
    expect(report.errors.find((e) => e.line === 7)?.message).toContain('"bot"');
  });

  it('refuses fewer than 50 examples and notes more than 1,000', () => {
    const few = validateTrainingData(file(clean(49)));
    expect(few.ok).toBe(false);
    expect(few.errors).toEqual([{ line: 0, code: 'too_few_examples', message: '49 examples; at least 50 are needed' }]);
    const many = validateTrainingData(file(clean(1_001)));
    expect(many.ok).toBe(true);
    expect(many.notes.map((n) => n.code)).toEqual(['many_examples']);
  });

  it('refuses an empty file, and counts blank lines without numbering them away', () => {
    expect(validateTrainingData('').errors).toEqual([{ line: 0, code: 'empty_file', message: 'the file has no examples' }]);
    expect(validateTrainingData(' \n\n').ok).toBe(false);
    const lines = clean(50);
    lines.splice(3, 0, '');
    lines[10] = '{not json';
    const report = validateTrainingData(file(lines));
    expect(report.errors.map((e) => e.line)).toEqual([11]);
    expect(report.notes).toEqual([{ line: 0, code: 'blank_lines', message: '1 blank line skipped' }]);
  });

  it('treats examples without a system prompt among ones with it as inconsistent', () => {
    const lines = clean(50);
    lines[5] = example(5, null);
    expect(validateTrainingData(file(lines)).errors).toEqual([
      { line: 6, code: 'inconsistent_system_prompt', message: 'has no system prompt, unlike line 1; use one system prompt for every example (or none)' },
    ]);
    expect(validateTrainingData(file(Array.from({ length: 50 }, (_, i) => example(i, null)))).ok).toBe(true);
  });

  it('lists at most the configured number of errors and says how many more there were', () => {
    const report = validateTrainingData(file(Array.from({ length: 5 }, () => 'x')), { minExamples: 1, noteAboveExamples: 10, maxTokensPerExample: 100, maxListedErrors: 2 });
    expect(report.errors).toHaveLength(2);
    expect(report.notes).toEqual([{ line: 0, code: 'errors_truncated', message: '3 more errors not listed' }]);
  });
});
