import { describe, expect, it } from 'vitest';
import { computeCost } from './cost.ts';

describe('computeCost', () => {
  it('prices images by the count DashScope reports (successes only)', () => {
    expect(computeCost({ type: 'text-to-image', model: 'wanx2.1-t2i-plus', parameters: { n: 4 } }, { image_count: 3 })).toEqual({ amount: 0.6, currency: 'CNY' });
  });

  it('prices a wan2.5 text-to-video by seconds at the tier of its ratio', () => {
    const usage = { video_duration: 10, video_ratio: '832*480', video_count: 1 };
    expect(computeCost({ type: 'text-to-video', model: 'wan2.5-t2v-preview', parameters: {} }, usage)).toEqual({ amount: 3, currency: 'CNY' });
  });

  it('reads the newer usage shape (duration and SR)', () => {
    const usage = { duration: 5, SR: 720, video_count: 1 };
    expect(computeCost({ type: 'image-to-video', model: 'wan2.5-i2v-preview', parameters: {} }, usage)).toEqual({ amount: 3, currency: 'CNY' });
  });

  it('falls back to the requested size when usage has no resolution', () => {
    const usage = { video_duration: 5 };
    expect(computeCost({ type: 'text-to-video', model: 'wan2.5-t2v-preview', parameters: { size: '1920*1080' } }, usage)).toEqual({ amount: 5, currency: 'CNY' });
  });

  it('gives no cost without usage or a known price', () => {
    expect(computeCost({ type: 'text-to-image', model: 'wanx2.1-t2i-plus', parameters: {} }, undefined)).toBeUndefined();
    expect(computeCost({ type: 'text-to-video', model: 'wanx2.1-t2v-turbo', parameters: {} }, { video_duration: 5, video_ratio: '1920*1080' })).toBeUndefined();
  });
});
