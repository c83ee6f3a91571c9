import { describe, expect, it } from 'vitest';
import { clip } from './clip.ts';

describe('clip', () => {
  it('keeps short text as it is', () => {
    expect(clip('qwen-plus')).toBe('qwen-plus');
  });

  it('keeps a prefix of long text and says how long it was', () => {
    expect(clip('x'.repeat(7_000_000), 10)).toBe('xxxxxxxxxx…(7000000 chars)');
  });

  it('shows control characters and line separators as ?, and never ends on half a surrogate pair', () => {
    expect(clip('a\nb\u0000c\u2028d')).toBe('a?b?c?d');
    expect(clip('ab😀cd', 3)).toBe('ab…(6 chars)');
  });
});
