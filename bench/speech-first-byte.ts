// POST /v1/audio/speech through chat-stream against the emulator (in-process, pacing its SSE frames): time to
// the first audio bytes against the whole answer, sequential requests. Run: npx tsx bench/speech-first-byte.ts [--quick]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../dev/emulator/server.ts';
import * as chatStream from '../functions/chat-stream/index.ts';
import { loadConfig } from '../shared/config/config.ts';
import { createLocalDeps } from '../shared/deps/local-deps.ts';
import { serveWebFunction } from '../shared/http/web-function.ts';
import { silentLogger } from '../shared/log/logger.ts';
import { ms, summarize, table } from './lib/stats.ts';

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 5 : 20;
/** The emulator's pause between two 0.2 s frames of audio. */
const FRAME_DELAY_MS = 10;
const TEXTS = { short: 'Hello there, how are you today?', long: 'The river runs past the old mill and under the bridge. '.repeat(11).slice(0, 600) };

const emu = await startEmulator({ port: 0, chunkDelayMs: FRAME_DELAY_MS, logRequests: false, rateLimits: { '*': { rpm: Infinity, submitsPerSecond: Infinity, concurrentTasks: Infinity } } });
const dataDir = mkdtempSync(join(tmpdir(), 'bench-speech-'));
const config = loadConfig({ DASHSCOPE_API_KEY: emu.apiKey, DASHSCOPE_BASE_URL: emu.url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', GUARDS: 'on' });
const deps = createLocalDeps(config, { logger: silentLogger });
const served = await serveWebFunction(chatStream, deps, 0, { host: '127.0.0.1', handleSignals: false, drainMs: 0, markers: () => undefined });

async function once(input: string): Promise<{ firstMs: number; totalMs: number; bytes: number }> {
  const t0 = performance.now();
  const res = await fetch(`${served.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'tts-1', voice: 'alloy', input, response_format: 'pcm' }) });
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
  const reader = res.body!.getReader();
  let firstMs = Number.NaN;
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (Number.isNaN(firstMs) && value.length > 0) firstMs = performance.now() - t0;
    bytes += value.length;
  }
  return { firstMs, totalMs: performance.now() - t0, bytes };
}

const rows: string[][] = [['text', 'audio s', 'first byte p50', 'p95', 'whole answer p50', 'p95']];
try {
  for (const [name, text] of Object.entries(TEXTS)) {
    await once(text);
    const runs = [];
    for (let i = 0; i < ROUNDS; i++) runs.push(await once(text));
    const first = summarize(runs.map((r) => r.firstMs));
    const total = summarize(runs.map((r) => r.totalMs));
    rows.push([name, (runs[0]!.bytes / 48_000).toFixed(1), `${ms(first.p50)} ms`, `${ms(first.p95)} ms`, `${ms(total.p50)} ms`, `${ms(total.p95)} ms`]);
  }
  console.log(`${ROUNDS} sequential requests per text, emulator frames 0.2 s of audio every ${FRAME_DELAY_MS} ms`);
  console.log(table(rows));
} finally {
  await served.close();
  await emu.close();
  rmSync(dataDir, { recursive: true, force: true });
}
