// What a finished task cost, from the catalogue's list prices and the usage DashScope reported: images by
// `image_count` (successes only), videos by generated seconds at their resolution tier.
import { findModel, T2V_SIZE_TIER } from '../../catalog/catalog.ts';
import type { Task } from '../../domain/task.ts';

type Tier = '480P' | '720P' | '1080P';

const num = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
};

function tierOf(value: unknown): Tier | undefined {
  if (typeof value === 'number') return tierOf(`${value}P`);
  if (typeof value !== 'string') return undefined;
  if (value === '480P' || value === '720P' || value === '1080P') return value;
  return T2V_SIZE_TIER[value];
}

const round = (n: number): number => Math.round(n * 10_000) / 10_000;

export function computeCost(
  task: Pick<Task, 'type' | 'model' | 'parameters'>,
  usage: Record<string, unknown> | undefined,
): { amount: number; currency: 'CNY' } | undefined {
  const model = findModel(task.model);
  if (!model || !usage) return undefined;
  if (model.kind === 'text-to-image') {
    const images = num(usage.image_count);
    return images === undefined ? undefined : { amount: round(images * model.price.perImage), currency: 'CNY' };
  }
  if (model.kind === 'text-to-video' || model.kind === 'image-to-video') {
    const seconds = num(usage.video_duration) ?? num(usage.output_video_duration) ?? num(usage.duration) ?? num(task.parameters.duration);
    const tier = tierOf(usage.video_ratio) ?? tierOf(usage.size) ?? tierOf(usage.SR) ?? tierOf(task.parameters.size) ?? tierOf(task.parameters.resolution);
    const perSecond = tier ? model.price.perSecond[tier] : undefined;
    if (seconds === undefined || perSecond === undefined) return undefined;
    const videos = num(usage.video_count) ?? 1;
    return { amount: round(seconds * perSecond * videos), currency: 'CNY' };
  }
  return undefined;
}
