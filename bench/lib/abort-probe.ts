// How fast a client abort reaches the upstream: abort a stream mid-way through the target and read, from
// the emulator's request log, when the emulator saw its own connection close (abortedAt).
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { chatBody, postChat, type Target } from './measure.ts';

const loggedRequest = z.object({
  id: z.union([z.string(), z.number()]),
  path: z.string(),
  aborted: z.boolean().nullish(),
  abortedAt: z.union([z.number(), z.string()]).nullish(),
});
const requestLog = z.array(loggedRequest);
type LoggedRequest = z.infer<typeof loggedRequest>;

const CHAT_PATH = '/compatible-mode/v1/chat/completions';

async function readLog(emulatorUrl: string, dispatcher: Dispatcher): Promise<LoggedRequest[]> {
  const res = await request(`${emulatorUrl}/_emulator/requests`, { dispatcher });
  return requestLog.parse(await res.body.json()).filter((r) => r.path.startsWith(CHAT_PATH));
}

const epochMs = (v: number | string): number => (typeof v === 'number' ? v : Date.parse(v));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface AbortProbeOptions {
  dispatcher: Dispatcher;
  target: Target;
  emulatorUrl: string;
  count: number;
  /** How long to keep reading after the first byte before aborting (so the abort lands mid-stream). */
  readForMs?: number;
}

/** Latencies (ms) from the client's abort to the emulator's abortedAt, one per abort, taken one at a time. */
export async function measureAborts(o: AbortProbeOptions): Promise<{ latencies: number[]; missed: number }> {
  const latencies: number[] = [];
  let missed = 0;
  const seen = new Set((await readLog(o.emulatorUrl, o.dispatcher)).map((r) => String(r.id)));
  for (let i = 0; i < o.count; i++) {
    const ctl = new AbortController();
    const res = await postChat(o.dispatcher, o.target, chatBody(true), ctl.signal);
    let firstByte = () => {};
    const gotFirstByte = new Promise<void>((resolve) => (firstByte = resolve));
    const reading = (async () => {
      for await (const _ of res.body as AsyncIterable<Buffer>) firstByte();
    })().catch(() => undefined);
    await Promise.race([gotFirstByte, reading]);
    await sleep(o.readForMs ?? 30);
    const abortedAt = Date.now();
    ctl.abort();
    await reading;
    let hit: LoggedRequest | undefined;
    for (let attempt = 0; attempt < 40 && !hit?.abortedAt; attempt++) {
      await sleep(attempt === 0 ? 5 : 50);
      hit = (await readLog(o.emulatorUrl, o.dispatcher)).find((r) => !seen.has(String(r.id)));
    }
    if (hit) seen.add(String(hit.id));
    if (hit?.abortedAt) latencies.push(epochMs(hit.abortedAt) - abortedAt);
    else missed++;
  }
  return { latencies, missed };
}
