// The native task shapes: a create body as the task request (the model picks the type), the layer's statuses
// as DashScope's, and DashScope's time format.
import { describe, expect, it } from 'vitest';
import { TASK_STATUSES } from '../../domain/task.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { fromNativeTaskRequest, NATIVE_STATUS, utc8 } from './native-task.ts';

describe('fromNativeTaskRequest', () => {
  it('reads the body the AI SDK sends for a text-to-video model as a text-to-video task, defaults filled', () => {
    expect(fromNativeTaskRequest('video-synthesis', { model: 'wan2.5-t2v-preview', input: { prompt: 'a fox' }, parameters: { size: '1280*720' } })).toEqual({
      type: 'text-to-video',
      model: 'wan2.5-t2v-preview',
      input: { prompt: 'a fox' },
      parameters: { size: '1280*720', duration: 5 },
    });
  });

  it('takes the type from the model: image-to-video at the video path, text-to-image at the image path', () => {
    expect(fromNativeTaskRequest('video-synthesis', { model: 'wan2.5-i2v-preview', input: { img_url: 'https://example.com/a.png' } }).type).toBe('image-to-video');
    expect(fromNativeTaskRequest('image-synthesis', { model: 'wanx2.1-t2i-turbo', input: { prompt: 'a fox' } })).toMatchObject({ type: 'text-to-image', parameters: { n: 1, size: '1024*1024' } });
  });

  it('refuses a model of another kind for the path, naming the model', () => {
    expect(() => fromNativeTaskRequest('image-synthesis', { model: 'wan2.5-t2v-preview', input: { prompt: 'x' } })).toThrow(/cannot do text-to-image/);
    expect(() => fromNativeTaskRequest('video-synthesis', { input: { prompt: 'x' } })).toThrow(InvalidRequestError);
  });
});

describe('NATIVE_STATUS', () => {
  it('maps every status, and never answers SUCCEEDED before the outputs are persisted', () => {
    expect(Object.keys(NATIVE_STATUS).sort()).toEqual([...TASK_STATUSES].sort());
    expect(NATIVE_STATUS.SUCCEEDED).toBe('RUNNING');
    expect(Object.entries(NATIVE_STATUS).filter(([, v]) => v === 'SUCCEEDED').map(([k]) => k)).toEqual(['PERSISTED']);
  });
});

describe('utc8', () => {
  it("writes an instant as DashScope does: 'YYYY-MM-DD HH:mm:ss.SSS' in UTC+8 without an offset", () => {
    expect(utc8('2026-12-31T20:30:05.007Z')).toBe('2027-01-01 04:30:05.007');
  });
});
