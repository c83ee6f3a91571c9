import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { parseTaskRequest, requestHash } from './task-request.ts';

function refusal(body: unknown): InvalidRequestError {
  try {
    parseTaskRequest(body);
  } catch (e) {
    if (e instanceof InvalidRequestError) return e;
    throw e;
  }
  throw new Error('request was accepted');
}

describe('parseTaskRequest', () => {
  it('fills the defaults DashScope would otherwise choose for a text-to-image request', () => {
    const r = parseTaskRequest({ type: 'text-to-image', input: { prompt: '  a red fox  ' } });
    expect(r).toEqual({ type: 'text-to-image', model: 'wanx2.1-t2i-turbo', input: { prompt: 'a red fox' }, parameters: { size: '1024*1024', n: 1 } });
  });

  it('keeps every accepted text-to-image parameter and the metadata', () => {
    const r = parseTaskRequest({
      type: 'text-to-image',
      model: 'wan2.2-t2i-plus',
      input: { prompt: 'fox', negative_prompt: 'blur' },
      parameters: { size: '768*1344', n: 2, seed: 42, prompt_extend: false, watermark: true },
      metadata: { app: 'demo' },
    });
    expect(r.parameters).toEqual({ size: '768*1344', n: 2, seed: 42, prompt_extend: false, watermark: true });
    expect(r.input).toEqual({ prompt: 'fox', negative_prompt: 'blur' });
    expect(r.metadata).toEqual({ app: 'demo' });
  });

  it('uses the model default size and duration for text-to-video', () => {
    const r = parseTaskRequest({ type: 'text-to-video', input: { prompt: 'waves' } });
    expect(r).toMatchObject({ model: 'wan2.5-t2v-preview', parameters: { size: '1920*1080', duration: 5 } });
  });

  it('takes an image URL and a resolution for image-to-video', () => {
    const r = parseTaskRequest({ type: 'image-to-video', input: { img_url: 'https://example.com/cat.png' }, parameters: { resolution: '720P', duration: 10 } });
    expect(r).toMatchObject({ model: 'wan2.5-i2v-preview', input: { img_url: 'https://example.com/cat.png' }, parameters: { resolution: '720P', duration: 10 } });
  });

  it.each([
    ['a wrong type', { type: 'text-to-music', input: { prompt: 'x' } }, 'invalid_type', 'type'],
    ['a missing type', { input: { prompt: 'x' } }, 'invalid_type', 'type'],
    ['a missing prompt', { type: 'text-to-image', input: {} }, 'invalid_request', 'input.prompt'],
    ['an empty prompt', { type: 'text-to-image', input: { prompt: '   ' } }, 'invalid_request', 'input.prompt'],
    ['a size that is not W*H', { type: 'text-to-image', input: { prompt: 'x' }, parameters: { size: '720P' } }, 'invalid_request', 'parameters.size'],
    ['an image side out of range', { type: 'text-to-image', input: { prompt: 'x' }, parameters: { size: '4096*4096' } }, 'invalid_request', 'parameters.size'],
    ['too many images', { type: 'text-to-image', input: { prompt: 'x' }, parameters: { n: 5 } }, 'invalid_request', 'parameters.n'],
    ['a seed out of range', { type: 'text-to-image', input: { prompt: 'x' }, parameters: { seed: -1 } }, 'invalid_request', 'parameters.seed'],
    ['a video duration the model does not offer', { type: 'text-to-video', input: { prompt: 'x' }, parameters: { duration: 7 } }, 'invalid_request', 'parameters.duration'],
    ['a resolution as a text-to-video size', { type: 'text-to-video', input: { prompt: 'x' }, parameters: { size: '720P' } }, 'invalid_request', 'parameters.size'],
    ['an unknown model', { type: 'text-to-video', model: 'wan2.5-t2v-plus', input: { prompt: 'x' } }, 'model_not_found', 'model'],
    ['a model of another kind', { type: 'text-to-image', model: 'wan2.5-t2v-preview', input: { prompt: 'x' } }, 'invalid_model', 'model'],
    ['an unknown field', { type: 'text-to-image', input: { prompt: 'x' }, parameters: { style: 'anime' } }, 'invalid_request', 'parameters'],
    ['a missing image URL', { type: 'image-to-video', input: { prompt: 'x' } }, 'invalid_request', 'input.img_url'],
    ['an image URL that is not a URL', { type: 'image-to-video', input: { img_url: 'file:///etc/passwd' } }, 'invalid_request', 'input.img_url'],
    ['a negative prompt that is too long', { type: 'text-to-image', input: { prompt: 'x', negative_prompt: 'n'.repeat(501) } }, 'invalid_request', 'input.negative_prompt'],
  ])('refuses %s with a 400 naming the field', (_name, body, code, param) => {
    const e = refusal(body);
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e.code).toBe(code);
    expect(e.param).toBe(param);
  });

  it('refuses a body that is not an object', () => {
    expect(refusal([1, 2]).code).toBe('invalid_request');
    expect(refusal('text-to-image').code).toBe('invalid_request');
  });
});

describe('requestHash', () => {
  it('is the same for a request that spells out the defaults', () => {
    const a = parseTaskRequest({ type: 'text-to-image', input: { prompt: 'fox' } });
    const b = parseTaskRequest({ type: 'text-to-image', model: 'wanx2.1-t2i-turbo', input: { prompt: 'fox' }, parameters: { n: 1, size: '1024*1024' } });
    expect(requestHash(a)).toBe(requestHash(b));
  });

  it('differs when any parameter differs', () => {
    const a = parseTaskRequest({ type: 'text-to-image', input: { prompt: 'fox' } });
    const b = parseTaskRequest({ type: 'text-to-image', input: { prompt: 'fox' }, parameters: { n: 2 } });
    expect(requestHash(a)).not.toBe(requestHash(b));
  });
});
