import { describe, expect, it } from 'vitest';
import { MODELS } from './catalog.ts';
import { CATALOGUE_REVIEWED, releasedAt } from './release-dates.ts';

describe('release dates', () => {
  it('dates every catalogue model of its own, before the catalogue was last reviewed', () => {
    for (const m of MODELS) {
      expect(releasedAt(m), m.id).toBeGreaterThan(Date.parse('2023-01-01') / 1000);
      expect(releasedAt(m), m.id).toBeLessThan(CATALOGUE_REVIEWED);
    }
  });

  it('gives a model added without a date the date of the last review rather than none', () => {
    expect(releasedAt({ id: 'qwen-next' })).toBe(CATALOGUE_REVIEWED);
  });
});
