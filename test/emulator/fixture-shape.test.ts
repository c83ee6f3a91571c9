// The emulator's chat responses against DashScope's recorded ones (test/support/recordings.ts): same key sets, same nulls and empty strings, same chunk order, for text, thinking and tool
// calls, streamed and not. Text differs by design; its shape must not.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/server.ts';
import { needRecordings, readRecording, recordedLines } from '../support/recordings.ts';
import { post, sseData } from './helpers.ts';


/** The shape of a value: key sets (sorted), null vs "" vs non-empty string, numbers, array lengths. */
function shape(v: unknown): unknown {
  if (v === null) return 'null';
  if (typeof v === 'string') return v === '' ? '""' : 'string';
  if (typeof v !== 'object') return typeof v;
  if (Array.isArray(v)) return v.map(shape);
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
}

/** Chunk shapes with runs of identical shapes collapsed (the recording and the emulator differ in length). */
function shapeSequence(chunks: unknown[]): string[] {
  const out: string[] = [];
  for (const c of chunks) {
    const s = JSON.stringify(shape(c));
    if (out.at(-1) !== s) out.push(s);
  }
  return out;
}

const recordedChunks = (name: string) => recordedLines(`${name}.chunks.txt`).map((l) => JSON.parse(l) as unknown);

const weather = {
  type: 'function',
  function: { name: 'weather', description: 'Get the weather in a location', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } },
};
const CASES = {
  'alibaba-text': { model: 'qwen3-max', messages: [{ role: 'user', content: 'Invent a new holiday and describe its traditions.' }] },
  'alibaba-reasoning': { model: 'qwen3-max', enable_thinking: true, messages: [{ role: 'user', content: "How many 'r's are in the word 'strawberry'?" }] },
  'alibaba-tool-call': { model: 'qwen3-max', tools: [weather], messages: [{ role: 'user', content: 'What is the weather in San Francisco?' }] },
} as const;

describe('emulator chat shapes match the DashScope recordings', () => {
  beforeEach((ctx) => needRecordings(ctx));
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0, chunkDelayMs: 0 });
  });
  afterAll(() => emu.close());

  for (const [name, body] of Object.entries(CASES)) {
    it(`${name}: the non-streamed completion has the recorded structure, keys and nulls`, async () => {
      const res = await post(emu, '/compatible-mode/v1/chat/completions', body);
      expect(res.status).toBe(200);
      const mine = (await res.json()) as { id: string };
      expect(shape(mine)).toEqual(shape(JSON.parse(readRecording(`${name}.json`))));
      expect(mine.id).toMatch(/^chatcmpl-[0-9a-f-]{36}$/);
    });

    it(`${name}: the stream has the recorded chunk sequence, keys and nulls, then [DONE]`, async () => {
      const res = await post(emu, '/compatible-mode/v1/chat/completions', { ...body, stream: true, stream_options: { include_usage: true } });
      const data = sseData(await res.text());
      expect(data.at(-1)).toBe('[DONE]');
      const mine = data.slice(0, -1).map((d) => JSON.parse(d) as unknown);
      const want = shapeSequence(recordedChunks(name));
      expect(want.length).toBeGreaterThanOrEqual(4);
      expect(shapeSequence(mine)).toEqual(want);
    });
  }
});
