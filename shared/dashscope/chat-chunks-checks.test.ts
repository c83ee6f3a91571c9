// What the chunk module decides about one chunk on its own: whether it carries generated text (read off its
// text when unparsed), and whether its shape is one the relay can read.
import { describe, expect, it } from 'vitest';
import { needRecordings, recordedFiles, recordedLines } from '../../test/support/recordings.ts';
import { RelayChunk, shapeProblem } from './chat-chunks.ts';
import { chatCompletionChunkSchema } from './schemas.ts';

const fixtureFiles = recordedFiles('.chunks.txt');
const fixtureLines = recordedLines;

describe('RelayChunk.hasText', () => {
  const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'qwen-plus' };
  const text = (delta: Record<string, unknown>, finish: string | null = null) => JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });

  it('is true for generated text, reasoning or tool arguments, not for the opening role or an empty delta', () => {
    const cases: [string, boolean][] = [
      [text({ role: 'assistant', content: '' }), false],
      [text({ content: '' }), false],
      [text({}, 'stop'), false],
      [text({ content: 'Hello' }), true],
      [text({ reasoning_content: '"quoted" thought' }), true],
      [text({ content: '"content":"x" said' }), true],
      [text({ role: 'assistant', content: 'say "content":"x"' }), true],
      [text({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'f', arguments: '' } }] }), true],
    ];
    for (const [json, hasText] of cases) {
      expect(RelayChunk.fromText(json).hasText, json).toBe(hasText);
      expect(RelayChunk.of(JSON.parse(json)).hasText, json).toBe(hasText);
    }
  });

  it('gives the same answer from a recorded chunk\'s text as from the chunk parsed', (ctx) => {
    needRecordings(ctx);
    for (const file of fixtureFiles) {
      for (const line of fixtureLines(file)) expect(RelayChunk.fromText(line).hasText, line.slice(0, 80)).toBe(RelayChunk.of(JSON.parse(line)).hasText);
    }
  });
});

describe('shapeProblem', () => {
  const accepted: unknown[] = [
    { choices: [] },
    { id: 'x', choices: [{ index: 0, delta: { content: 'a' }, finish_reason: null }], usage: null },
    { choices: [{ index: 0, delta: null }], usage: { prompt_tokens: 1 } },
    { choices: [{ index: 0 }] },
  ];
  const refused: [unknown, string][] = [
    [null, 'root'],
    [[], 'root'],
    ['text', 'root'],
    [{}, 'choices'],
    [{ choices: 'nope' }, 'choices'],
    [{ choices: [null] }, 'choices.0'],
    [{ choices: [{ delta: 'a' }] }, 'choices.0.delta'],
    [{ choices: [], usage: 3 }, 'usage'],
  ];

  it('accepts what the minimal chunk schema accepts', () => {
    for (const value of accepted) {
      expect(chatCompletionChunkSchema.safeParse(value).success).toBe(true);
      expect(shapeProblem(value)).toBeUndefined();
    }
  });

  it('refuses what the relay cannot read, naming where it is wrong', () => {
    for (const [value, where] of refused) {
      expect(chatCompletionChunkSchema.safeParse(value).success).toBe(false);
      expect(shapeProblem(value)).toMatch(new RegExp(`^${where.replace(/\./g, '\\.')}:`));
    }
  });

  it('accepts every recorded DashScope chunk', (ctx) => {
    needRecordings(ctx);
    for (const file of fixtureFiles) {
      const lines = fixtureLines(file);
      for (const line of lines) expect(shapeProblem(JSON.parse(line)), `${file}: ${line.slice(0, 80)}`).toBeUndefined();
    }
  });
});
