import { describe, expect, it } from 'vitest';
import { UnknownModelError } from '../../catalog/catalog.ts';
import { getModel, listModels } from './list-models.ts';

describe('models', () => {
  it('answers one model as the list does, with its release date and owner', () => {
    const fromList = listModels().data.find((m) => m.id === 'text-embedding-v4');
    expect(getModel('text-embedding-v4')).toEqual(fromList);
    expect(getModel('text-embedding-v4')).toMatchObject({ object: 'model', owned_by: 'alibaba', kind: 'embedding', created: expect.any(Number) });
    expect(getModel('text-embedding-v4').created).toBeGreaterThan(0);
  });

  it('refuses an unknown id with UnknownModelError, as a request naming it would be', () => {
    expect(() => getModel('gpt-9')).toThrow(UnknownModelError);
  });
});
