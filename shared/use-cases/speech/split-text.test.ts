import { describe, expect, it } from 'vitest';
import { speechCharacters } from '../../catalog/pricing.ts';
import { splitSpeechText } from './split-text.ts';

const squash = (s: string) => s.replace(/\s+/g, '');

describe('splitSpeechText', () => {
  it('keeps a text that fits as one part', () => {
    expect(splitSpeechText('  Hello there. How are you?  ', 600)).toEqual(['Hello there. How are you?']);
  });

  it('cuts at sentence ends, each part within the limit counting CJK twice, nothing lost or reordered', () => {
    const text = Array.from({ length: 40 }, (_, i) => `第${i}句话说的是山和水。`).join('');
    const parts = splitSpeechText(text, 100);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(speechCharacters(p)).toBeLessThanOrEqual(100);
      expect(p.endsWith('。')).toBe(true);
    }
    expect(parts.join('')).toBe(text);
  });

  it('keeps closing quotes with their sentence and splits English at ". "', () => {
    const text = '他说：“走吧。”然后离开了。She left. He stayed! Why? Nobody knows.';
    const parts = splitSpeechText(text, 20);
    expect(parts.every((p) => speechCharacters(p) <= 20)).toBe(true);
    expect(parts[0]).toBe('他说：“走吧。”');
    expect(squash(parts.join(''))).toBe(squash(text));
  });

  it('cuts a sentence too long for one part at clause marks, then anywhere', () => {
    const clauses = `${'一二三四五，'.repeat(30)}完。`;
    expect(splitSpeechText(clauses, 50).every((p) => speechCharacters(p) <= 50)).toBe(true);
    expect(splitSpeechText(clauses, 50).slice(0, -1).every((p) => p.endsWith('，'))).toBe(true);
    const run = '长'.repeat(130);
    const parts = splitSpeechText(run, 100);
    expect(parts.map((p) => [...p].length)).toEqual([50, 50, 30]);
  });

  it('drops whitespace-only stretches and gives nothing for a blank text', () => {
    expect(splitSpeechText(' \n\t ', 600)).toEqual([]);
    expect(splitSpeechText('One.\n\n\n\nTwo.', 4)).toEqual(['One.', 'Two.']);
  });
});
