import { describe, expect, it } from 'vitest';
import { outputsFromUpstream, parseDashScopeTime, urlExpiry } from './upstream-result.ts';

describe('DashScope task results', () => {
  it('reads DashScope times as UTC+8', () => {
    expect(parseDashScopeTime('2025-01-02 08:30:00.123')?.toISOString()).toBe('2025-01-02T00:30:00.123Z');
    expect(parseDashScopeTime('yesterday')).toBeUndefined();
  });

  it("takes a URL's expiry from its Expires parameter", () => {
    const fallback = new Date('2030-01-01T00:00:00Z');
    expect(urlExpiry('https://dashscope-result-bj.oss-cn-beijing.aliyuncs.com/a.png?Expires=1735689600&Signature=x', fallback).toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(urlExpiry('https://example.com/a.png', fallback)).toBe(fallback);
  });

  it('records a partial image failure on its output and keeps the others', () => {
    const outputs = outputsFromUpstream(
      'text-to-image',
      {
        output: {
          task_status: 'SUCCEEDED',
          end_time: '2025-01-02 08:30:00.000',
          results: [{ code: 'DataInspectionFailed', message: 'refused' }, { url: 'https://h.aliyuncs.com/1.png' }],
        },
      },
      new Date(),
    );
    expect(outputs).toEqual([
      { index: 0, error: { code: 'DataInspectionFailed', message: 'refused' } },
      { index: 1, sourceUrl: 'https://h.aliyuncs.com/1.png', sourceExpiresAt: '2025-01-03T00:30:00.000Z' },
    ]);
  });

  it('takes the one video URL of a video task', () => {
    const outputs = outputsFromUpstream('text-to-video', { output: { task_status: 'SUCCEEDED', video_url: 'https://h.aliyuncs.com/v.mp4?Expires=1735689600' } }, new Date());
    expect(outputs).toEqual([{ index: 0, sourceUrl: 'https://h.aliyuncs.com/v.mp4?Expires=1735689600', sourceExpiresAt: '2025-01-01T00:00:00.000Z' }]);
  });
});
