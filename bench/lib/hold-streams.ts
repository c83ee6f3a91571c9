// Memory under many open streams: opens `count` streamed chat requests through the target at once, waits
// until every one has received its first byte, and samples the server's RSS while all of them stay open.
import { setMaxListeners } from 'node:events';
import type { Dispatcher } from 'undici';
import { chatBody, postChat, type Target } from './measure.ts';

export interface HoldResult {
  /** Streams that received their first byte. */
  opened: number;
  /** Streams still open (first byte received, not ended) when the peak was sampled. */
  openAtPeak: number;
  failed: number;
  firstError?: string;
  baselineRss: number;
  peakRss: number;
  /** Time until all streams had their first byte. */
  openMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function holdStreams(o: { dispatcher: Dispatcher; target: Target; count: number; rss: () => Promise<number>; holdMs: number; openTimeoutMs?: number }): Promise<HoldResult> {
  const baselineRss = await o.rss();
  const ctl = new AbortController();
  setMaxListeners(o.count + 10, ctl.signal);
  let opened = 0;
  let ended = 0;
  let failed = 0;
  let firstError: string | undefined;
  const t0 = Date.now();
  const one = async () => {
    let first = true;
    try {
      const res = await postChat(o.dispatcher, o.target, chatBody(true), ctl.signal);
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${(await res.body.text()).slice(0, 200)}`);
      for await (const _ of res.body as AsyncIterable<Buffer>) {
        if (first) {
          first = false;
          opened++;
        }
      }
      ended++;
    } catch (e) {
      if (ctl.signal.aborted && !first) return;
      failed++;
      firstError ??= e instanceof Error ? e.message : String(e);
    }
  };
  const all = Promise.all(Array.from({ length: o.count }, one));
  const deadline = t0 + (o.openTimeoutMs ?? 60_000);
  while (opened + failed < o.count && Date.now() < deadline) await sleep(20);
  const openMs = Date.now() - t0;
  let peakRss = 0;
  let openAtPeak = 0;
  for (const stop = Date.now() + o.holdMs; Date.now() < stop; await sleep(100)) {
    const rss = await o.rss();
    if (rss >= peakRss) {
      peakRss = rss;
      openAtPeak = opened - ended;
    }
  }
  ctl.abort();
  await all;
  return { opened, openAtPeak, failed, ...(firstError ? { firstError } : {}), baselineRss, peakRss, openMs };
}
