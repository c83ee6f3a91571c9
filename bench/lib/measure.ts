// The measuring client: times one chat request (time to first body byte, total time) and runs the
// targets interleaved so they see the same machine conditions, sequentially or with N requests in flight.
import { performance } from 'node:perf_hooks';
import { request, type Dispatcher } from 'undici';
import { prng } from '../../dev/emulator/text-gen.ts';

export interface Target {
  name: string;
  /** Full URL of the chat completions endpoint of this target. */
  url: string;
  headers: Record<string, string>;
}

export interface Sample {
  /** From sending the request to the first byte of the response body (the first SSE event when streamed). */
  ttfbMs: number;
  totalMs: number;
  /**
   * The round it was measured in: sequential, one request per target per round; 50 concurrent, one burst
   * per target per round. Samples of one burst share whatever stalled the machine during it.
   */
  round?: number;
}

export interface Outcome {
  samples: Sample[];
  errors: number;
  /** Every request sent to the target, warm-up included (for CPU time per request). */
  sent: number;
  firstError?: string;
}

export function chatBody(stream: boolean, model = 'qwen-plus'): string {
  return JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Say hello in three words.' }] });
}

/** Sends one chat request to the target (the body as given, JSON); the caller reads the answer. */
export function postChat(dispatcher: Dispatcher, target: Target, body: string, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
  return request(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body, dispatcher, signal });
}

/** One request; throws unless the answer is a 200 with a complete completion (a `[DONE]`-terminated stream). */
export async function timeOne(dispatcher: Dispatcher, target: Target, body: string, stream: boolean, timeoutMs = 15_000): Promise<Sample> {
  const t0 = performance.now();
  const res = await postChat(dispatcher, target, body, AbortSignal.timeout(timeoutMs));
  let ttfb = Number.NaN;
  let text = '';
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    if (Number.isNaN(ttfb)) ttfb = performance.now() - t0;
    text += chunk.toString('utf8');
  }
  const total = performance.now() - t0;
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
  const complete = stream ? /data: \[DONE\]\s*$/.test(text) : text.includes('"choices"');
  if (!complete) throw new Error(`incomplete ${stream ? 'stream' : 'completion'}: ${text.slice(-200)}`);
  return { ttfbMs: ttfb, totalMs: total };
}

export interface RunOptions {
  dispatcher: Dispatcher;
  stream: boolean;
  /** Measured requests per target. */
  perTarget: number;
  /** Unmeasured requests per target first (connections, JIT). */
  warmup: number;
  /** The request body (JSON) sent to every target; default chatBody(stream). */
  body?: string;
}

function emptyOutcomes(targets: readonly Target[]): Map<string, Outcome> {
  return new Map(targets.map((t) => [t.name, { samples: [], errors: 0, sent: 0 }]));
}

/** Runs one request; its sample (or failure) counts only when it has a round (warm-up requests are just sent). */
async function record(outcome: Outcome, round: number | undefined, run: () => Promise<Sample>): Promise<void> {
  outcome.sent++;
  try {
    const s = await run();
    if (round !== undefined) outcome.samples.push({ ...s, round });
  } catch (e) {
    if (round === undefined) return;
    outcome.errors++;
    outcome.firstError ??= e instanceof Error ? e.message : String(e);
  }
}

/** Every ordering of 0..n-1 (n! of them; the bench has at most four targets). */
export function permutations(n: number): number[][] {
  if (n <= 1) return [Array.from({ length: n }, (_, i) => i)];
  const out: number[][] = [];
  for (const rest of permutations(n - 1)) for (let at = 0; at < n; at++) out.push([...rest.slice(0, at), n - 1, ...rest.slice(at)]);
  return out;
}

/**
 * The order of the targets in each round. A server still works after its answer has gone (closing the
 * exchange, its log line, GC), and with three busy processes on two cores that work delays whichever target
 * runs next. With the targets in a fixed cycle one target always ran right after the same other one and paid
 * for its leftovers (chat-stream after the bare proxy, every round). So the rounds go through every ordering,
 * shuffled with a fixed seed: over any n! consecutive rounds each target runs in every position, and right
 * after every other target within a round, equally often.
 */
export function roundOrders(n: number, seed = 0x5eed): number[][] {
  const orders = permutations(n);
  const random = prng(seed);
  for (let i = orders.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [orders[i], orders[j]] = [orders[j]!, orders[i]!];
  }
  return orders;
}

/** The targets in the order of round `round` (negative for warm-up rounds). */
function inRound<T>(targets: readonly T[], orders: number[][], round: number): T[] {
  return orders[((round % orders.length) + orders.length) % orders.length]!.map((i) => targets[i]!);
}

/** One request at a time, one per target per round, each round in its own order (`roundOrders`). */
export async function runSequential(targets: readonly Target[], o: RunOptions): Promise<Map<string, Outcome>> {
  const out = emptyOutcomes(targets);
  const body = o.body ?? chatBody(o.stream);
  const orders = roundOrders(targets.length);
  // 0 - warmup, not -warmup: with no warm-up the first round is 0, not -0
  for (let round = 0 - o.warmup; round < o.perTarget; round++) {
    for (const t of inRound(targets, orders, round)) {
      await record(out.get(t.name)!, round >= 0 ? round : undefined, () => timeOne(o.dispatcher, t, body, o.stream));
    }
  }
  return out;
}

/**
 * `concurrency` requests in flight to one target at a time (closed loop: each worker sends its next request
 * when the previous one ends), for `perWorker` requests each; then the next target. Rounds repeat, each in
 * its own order of the targets (`roundOrders`), until every target has `perTarget` samples.
 */
export async function runConcurrent(
  targets: readonly Target[],
  o: RunOptions & { concurrency: number; perWorker: number; /** Each burst starts at least this long after the previous one started (caps the request rate). */ minBurstMs?: number },
): Promise<Map<string, Outcome>> {
  const out = emptyOutcomes(targets);
  const body = o.body ?? chatBody(o.stream);
  let lastBurst = Number.NEGATIVE_INFINITY;
  const phase = async (t: Target, requests: number, round: number | undefined) => {
    const wait = lastBurst + (o.minBurstMs ?? 0) - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    lastBurst = performance.now();
    let left = requests;
    const worker = async () => {
      while (left-- > 0) await record(out.get(t.name)!, round, () => timeOne(o.dispatcher, t, body, o.stream));
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency, requests) }, worker));
  };
  // warm-up in bursts like the measured ones, so that the first measured burst does not pay for tiering up
  for (const t of targets) for (let left = Math.max(o.warmup, o.concurrency); left > 0; left -= o.concurrency * o.perWorker) await phase(t, Math.min(left, o.concurrency * o.perWorker), undefined);
  const perRound = o.concurrency * o.perWorker;
  const rounds = Math.ceil(o.perTarget / perRound);
  const orders = roundOrders(targets.length);
  for (let round = 0; round < rounds; round++) {
    for (const t of inRound(targets, orders, round)) await phase(t, Math.min(perRound, o.perTarget - round * perRound), round);
  }
  return out;
}

/** Time to the first body byte of one streamed request, which is then aborted; undefined if none came in time. */
export async function firstByteMs(dispatcher: Dispatcher, target: Target, timeoutMs: number): Promise<number | undefined> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const t0 = performance.now();
  try {
    const res = await postChat(dispatcher, target, chatBody(true), ctl.signal);
    for await (const _ of res.body as AsyncIterable<Buffer>) return performance.now() - t0;
    return undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
}
