// When each catalogue model became available on DashScope (its OpenAI `created`, Unix seconds, UTC midnight of
// the first day of the month of its public release as announced): the models list sorts and dates by it.
import type { Model } from './catalog.ts';

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 1000;

/** By model id. The months follow Alibaba Cloud's release announcements; the day is not claimed (always the 1st). */
const RELEASED: Readonly<Record<string, number>> = {
  'qwen-turbo': day('2023-09-01'),
  'qwen-plus': day('2023-09-01'),
  'qwen-max': day('2024-01-01'),
  'qwen-turbo-longcontext': day('2024-05-01'),
  'qwen3-32b': day('2025-04-01'),
  'qwen3-coder-plus': day('2025-07-01'),
  'qwen3-235b-a22b-thinking-2507': day('2025-07-01'),
  'qwen-flash': day('2025-07-01'),
  'qwen3-max': day('2025-09-01'),
  'text-embedding-v3': day('2024-09-01'),
  'text-embedding-v4': day('2025-05-01'),
  'wanx2.1-t2i-turbo': day('2025-01-01'),
  'wanx2.1-t2i-plus': day('2025-01-01'),
  'wanx2.1-t2v-turbo': day('2025-01-01'),
  'wan2.2-t2i-flash': day('2025-07-01'),
  'wan2.2-t2i-plus': day('2025-07-01'),
  'wan2.2-t2v-plus': day('2025-07-01'),
  'wan2.2-i2v-plus': day('2025-07-01'),
  'wan2.5-t2v-preview': day('2025-09-01'),
  'wan2.5-i2v-preview': day('2025-09-01'),
  'qwen3-tts-flash': day('2025-09-01'),
};

/** A model added to the catalogue without a date here gets this one: the catalogue's own last review. */
export const CATALOGUE_REVIEWED = day('2026-12-01');

export function releasedAt(model: Pick<Model, 'id'>): number {
  return RELEASED[model.id] ?? CATALOGUE_REVIEWED;
}
