// What POST /v1/pipelines accepts: a one-line topic of 1-200 characters, a known language and style; every
// refusal names its field.
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { parsePipelineRequest } from './pipeline-request.ts';

const refusal = (body: unknown) => {
  try {
    parsePipelineRequest(body);
  } catch (e) {
    if (e instanceof InvalidRequestError) return { code: e.code, param: e.param, message: e.message };
    throw e;
  }
  throw new Error('accepted');
};

describe('parsePipelineRequest', () => {
  it('collapses the topic to one trimmed line and fills the defaults', () => {
    expect(parsePipelineRequest({ topic: '  tea\n\n and   time ' })).toEqual({ topic: 'tea and time', language: 'en', style: 'informative' });
    expect(parsePipelineRequest({ topic: '茶', language: 'zh', style: 'academic' })).toEqual({ topic: '茶', language: 'zh', style: 'academic' });
  });

  it('counts characters, not UTF-16 units, against the 200-character limit', () => {
    expect(parsePipelineRequest({ topic: '🍵'.repeat(200) }).topic).toHaveLength(400);
    expect(refusal({ topic: '🍵'.repeat(201) })).toMatchObject({ code: 'invalid_topic', param: 'topic' });
  });

  it.each([
    [{}, 'invalid_topic', 'topic'],
    [{ topic: '' }, 'invalid_topic', 'topic'],
    [{ topic: ' \t\n ' }, 'invalid_topic', 'topic'],
    [{ topic: null }, 'invalid_topic', 'topic'],
    [{ topic: 'a\u0000b' }, 'invalid_topic', 'topic'],
    [{ topic: 'tea', language: 'EN' }, 'invalid_language', 'language'],
    [{ topic: 'tea', language: 7 }, 'invalid_request', 'language'],
    [{ topic: 'tea', style: 'noir' }, 'invalid_style', 'style'],
    [{ topic: 'tea', extra: 1 }, 'invalid_request', 'extra'],
    [null, 'invalid_request', undefined],
    ['tea', 'invalid_request', undefined],
  ])('refuses %j with %s', (body, code, param) => {
    const r = refusal(body);
    expect(r).toMatchObject({ code, param });
    expect(r.message.length).toBeLessThan(200);
  });

  it('quotes an unknown value only clipped', () => {
    expect(refusal({ topic: 'tea', style: 'z'.repeat(5_000) }).message.length).toBeLessThan(200);
  });
});
