import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chatChunks, chunkSourceText, shapeProblem } from './chat-chunks.ts';
import { Deadline } from './deadline.ts';
import { DashScopeAbortedError } from './errors.ts';
import { chatCompletionChunkSchema } from './schemas.ts';

/** A response body that hands out the given reads one by one and records how it was let go. */
class ScriptedBody extends Readable {
  dumped = false;
  private next = 0;
  constructor(private readonly reads: Buffer[]) {
    super();
  }
  override _read(): void {
    const read = this.reads[this.next++];
    setImmediate(() => this.push(read ?? null));
  }
  dump(): Promise<null> {
    this.dumped = true;
    this.resume();
    return new Promise((r) => this.once('close', () => r(null)));
  }
}

const chunk = (content: string, finish: string | null = null) =>
  JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'qwen-plus', choices: [{ index: 0, delta: { content }, finish_reason: finish }] });

async function collect(body: ScriptedBody, deadline = new Deadline(5_000)): Promise<string[]> {
  const out: string[] = [];
  for await (const c of chatChunks(body, deadline, 'rid')) out.push(String(c.choices[0]?.delta.content));
  return out;
}

describe('chatChunks', () => {
  it('remembers the exact text of each one-line chunk so it can be relayed without serialising it again', async () => {
    const spaced = '{ "id": "chatcmpl-1", "choices": [ { "index": 0, "delta": { "content": "a" } } ] }';
    const multiline = '{"id": "chatcmpl-1",\ndata: "choices": [{"index": 0, "delta": {"content": "b"}}]}';
    const body = new ScriptedBody([Buffer.from(`data: ${spaced}\n\ndata: ${multiline}\n\ndata: [DONE]\n\n`)]);
    const texts: (string | undefined)[] = [];
    for await (const c of chatChunks(body, new Deadline(5_000), 'rid')) texts.push(chunkSourceText(c));
    // a multi-line data event cannot be relayed as one line: it is serialised again instead
    expect(texts).toEqual([spaced, undefined]);
  });

  it('keeps multi-byte characters whole when the reads cut through them', async () => {
    const wire = Buffer.from(`data: ${chunk('你好，世界')}\n\ndata: ${chunk('🙂')}\n\ndata: [DONE]\n\n`);
    for (let cut = 1; cut < wire.length; cut += 7) {
      const reads = [wire.subarray(0, cut), wire.subarray(cut)];
      expect(await collect(new ScriptedBody(reads))).toEqual(['你好，世界', '🙂']);
    }
  });

  it('stops at [DONE] and drains the rest of the body instead of cancelling the request', async () => {
    const body = new ScriptedBody([Buffer.from(`data: ${chunk('a')}\n\ndata: [DONE]\n\n`), Buffer.from(': trailing comment\n\n')]);
    const deadline = new Deadline(5_000);
    expect(await collect(body, deadline)).toEqual(['a']);
    await new Promise((r) => body.once('close', r));
    expect(body.dumped).toBe(true);
    expect(body.readableEnded).toBe(true);
    expect(deadline.signal.aborted).toBe(false);
  });

  it('delivers a last event not followed by a blank line when the body ends without [DONE]', async () => {
    expect(await collect(new ScriptedBody([Buffer.from(`data: ${chunk('a')}\n\ndata: ${chunk('b', 'stop')}`)]))).toEqual(['a', 'b']);
  });

  it('cancels the request when the consumer stops early', async () => {
    const body = new ScriptedBody([Buffer.from(`data: ${chunk('a')}\n\ndata: ${chunk('b')}\n\n`), Buffer.from(`data: ${chunk('c')}\n\n`)]);
    const deadline = new Deadline(5_000);
    for await (const _c of chatChunks(body, deadline, 'rid')) break;
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.reason).toBeInstanceOf(DashScopeAbortedError);
  });
});

describe('shapeProblem', () => {
  const accepted: unknown[] = [
    { choices: [] },
    { id: 'x', choices: [{ index: 0, delta: { content: 'a' }, finish_reason: null }], usage: null },
    { choices: [{ index: 0, delta: null }], usage: { prompt_tokens: 1 } },
    { choices: [{ index: 0 }] },
  ];
  const refused: [unknown, string][] = [
    [null, 'root'],
    [[], 'root'],
    ['text', 'root'],
    [{}, 'choices'],
    [{ choices: 'nope' }, 'choices'],
    [{ choices: [null] }, 'choices.0'],
    [{ choices: [{ delta: 'a' }] }, 'choices.0.delta'],
    [{ choices: [], usage: 3 }, 'usage'],
  ];

  it('accepts what the minimal chunk schema accepts', () => {
    for (const value of accepted) {
      expect(chatCompletionChunkSchema.safeParse(value).success).toBe(true);
      expect(shapeProblem(value)).toBeUndefined();
    }
  });

  it('refuses what the relay cannot read, naming where it is wrong', () => {
    for (const [value, where] of refused) {
      expect(chatCompletionChunkSchema.safeParse(value).success).toBe(false);
      expect(shapeProblem(value)).toMatch(new RegExp(`^${where.replace(/\./g, '\\.')}:`));
    }
  });

  const fixturesDir = resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared/fixtures/dashscope');
  const files = existsSync(fixturesDir) ? readdirSync(fixturesDir).filter((f) => f.endsWith('.chunks.txt')) : [];
  if (files.length === 0) console.log(`skipping recorded chunks: no *.chunks.txt in ${fixturesDir}`);

  it.skipIf(files.length === 0)('accepts every recorded DashScope chunk', () => {
    for (const file of files) {
      const lines = readFileSync(join(fixturesDir, file), 'utf8').split('\n').filter((l) => l.trim() !== '');
      for (const line of lines) expect(shapeProblem(JSON.parse(line)), `${file}: ${line.slice(0, 80)}`).toBeUndefined();
    }
  });
});
