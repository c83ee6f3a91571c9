// Reading a finished DashScope task: its result URLs (with when each expires), per-output failures, and its
// times, which DashScope writes as 'YYYY-MM-DD HH:mm:ss.SSS' in UTC+8 without an offset.
import type { TaskOutput, TaskType } from '../../domain/task.ts';
import type { UpstreamTask } from '../../ports/task-upstream.ts';

/** DashScope keeps task data and result URLs for 24 hours. */
export const RESULT_TTL_MS = 24 * 3600_000;

export function parseDashScopeTime(value: string | null | undefined): Date | undefined {
  const m = value ? /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(value.trim()) : null;
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h) - 8, Number(mi), Number(s), Number((ms ?? '0').padEnd(3, '0')));
  return Number.isFinite(utc) ? new Date(utc) : undefined;
}

/** When a signed result URL stops working: its `Expires` (unix seconds), else `fallback`. */
export function urlExpiry(url: string, fallback: Date): Date {
  try {
    const expires = Number(new URL(url).searchParams.get('Expires'));
    if (Number.isFinite(expires) && expires > 0) return new Date(expires * 1000);
  } catch {
    // not a URL: the fallback stands
  }
  return fallback;
}

export function outputKind(type: TaskType): 'image' | 'video' | 'audio' {
  return type === 'text-to-image' ? 'image' : type === 'text-to-speech' ? 'audio' : 'video';
}

/** When DashScope finished the task (its end_time), else `now`. */
export function finishedAt(upstream: UpstreamTask, now: Date): Date {
  return parseDashScopeTime(upstream.output.end_time) ?? now;
}

/**
 * The outputs of a SUCCEEDED task: each result URL with its expiry, or the reason DashScope gave for an
 * output it did not produce (a partial failure, e.g. one image refused by moderation).
 */
export function outputsFromUpstream(type: TaskType, upstream: UpstreamTask, now: Date): TaskOutput[] {
  const fallback = new Date(finishedAt(upstream, now).getTime() + RESULT_TTL_MS);
  const withUrl = (index: number, url: string): TaskOutput => ({ index, sourceUrl: url, sourceExpiresAt: urlExpiry(url, fallback).toISOString() });
  if (type === 'text-to-image') {
    return (upstream.output.results ?? []).map((r, index) =>
      r.url
        ? withUrl(index, r.url)
        : { index, error: { code: r.code ?? 'NoResult', message: r.message ?? 'DashScope returned no URL for this output' } },
    );
  }
  const url = upstream.output.video_url;
  return url ? [withUrl(0, url)] : [];
}
