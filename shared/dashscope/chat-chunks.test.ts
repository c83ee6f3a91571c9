// pumpRelayChunks against scripted response bodies: what each read hands out, how the body is held back,
// read off or cancelled, and which chunks are marked for inspection.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { needRecordings, recordedFiles, recordedLines } from '../../test/support/recordings.ts';
import { pumpRelayChunks, type RelayChunk } from './chat-chunks.ts';
import { Deadline } from './deadline.ts';
import { DashScopeAbortedError, DashScopeStreamError } from './errors.ts';

/** A response body that hands out the given reads one by one and records how it was let go. */
class ScriptedBody extends Readable {
  /** Resolves once every read and the end were handed to the stream, read by its consumer or not. */
  readonly exhausted: Promise<void>;
  private handedOut!: () => void;
  private next = 0;
  constructor(private readonly reads: Buffer[]) {
    super();
    this.exhausted = new Promise((r) => (this.handedOut = r));
  }
  override _read(): void {
    const read = this.reads[this.next++];
    setImmediate(() => {
      this.push(read ?? null);
      if (read === undefined) this.handedOut();
    });
  }
}

const chunk = (content: string, finish: string | null = null) =>
  JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'qwen-plus', choices: [{ index: 0, delta: { content }, finish_reason: finish }] });

async function relayed(text: string, reads = 1): Promise<RelayChunk[][]> {
  const wire = Buffer.from(text);
  const size = Math.ceil(wire.length / reads);
  const body = new ScriptedBody(Array.from({ length: reads }, (_, i) => wire.subarray(i * size, (i + 1) * size)));
  const out: RelayChunk[][] = [];
  await pumpRelayChunks(body, new Deadline(5_000), 'rid', (read) => void out.push(read));
  return out;
}

/** Each read exactly one of `reads` (so whole-event reads take the reader's single-frame path). */
async function relayedReads(reads: string[]): Promise<RelayChunk[][]> {
  const body = new ScriptedBody(reads.map((r) => Buffer.from(r)));
  const out: RelayChunk[][] = [];
  await pumpRelayChunks(body, new Deadline(5_000), 'rid', (read) => void out.push(read));
  return out;
}

const fixtureFiles = recordedFiles('.chunks.txt');
const fixtureLines = recordedLines;

describe('pumpRelayChunks', () => {
  const content = chunk('Hello');
  const finish = chunk('', 'stop');
  const usage = JSON.stringify({ id: 'chatcmpl-1', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } });

  it('keeps multi-byte characters whole when the reads cut through them', async () => {
    const wire = `data: ${chunk('你好，世界')}\n\ndata: ${chunk('🙂')}\n\ndata: [DONE]\n\n`;
    const bytes = Buffer.from(wire);
    for (let cut = 1; cut < bytes.length; cut += 7) {
      const body = new ScriptedBody([bytes.subarray(0, cut), bytes.subarray(cut)]);
      const out: string[] = [];
      await pumpRelayChunks(body, new Deadline(5_000), 'rid', (read) => void out.push(...read.map((r) => String(r.chunk.choices[0]?.delta.content))));
      expect(out).toEqual(['你好，世界', '🙂']);
    }
  });

  it('hands out the chunks each read completed, with their exact text', async () => {
    const reads = await relayed(`data: ${content}\n\ndata: ${chunk(' world')}\n\ndata: ${finish}\n\ndata: [DONE]\n\n`, 2);
    expect(reads.length).toBe(2);
    expect(reads.flat().map((r) => r.json)).toEqual([content, chunk(' world'), finish]);
  });

  it('holds the next read back while the consumer waits, and drains the body after [DONE] without cancelling', async () => {
    const body = new ScriptedBody([Buffer.from(`data: ${content}\n\n`), Buffer.from(`data: ${finish}\n\ndata: [DONE]\n\n`), Buffer.from(': trailing\n\n')]);
    const deadline = new Deadline(5_000);
    const seen: string[] = [];
    let release!: () => void;
    const pumped = pumpRelayChunks(body, deadline, 'rid', (read) => {
      seen.push(...read.map((r) => String(r.json)));
      if (seen.length === 1) return new Promise<void>((r) => (release = r));
    });
    // the body has handed out every read it has; the pump must still be holding the second one back
    await body.exhausted;
    expect(seen).toEqual([content]);
    release();
    await pumped;
    expect(seen).toEqual([content, finish]);
    if (!body.closed) await new Promise((r) => body.once('close', r));
    // read to its end, not destroyed: over HTTP that hands the connection back to the pool
    expect(body.readableEnded).toBe(true);
    expect(deadline.abortSignal.aborted).toBe(false);
  });

  it('cancels the request when more than 64 KiB still follow [DONE]', async () => {
    const body = new ScriptedBody([Buffer.from(`data: ${content}\n\ndata: [DONE]\n\n`), Buffer.alloc(40 * 1024, 0x3a), Buffer.alloc(40 * 1024, 0x3a), Buffer.from(': never read\n\n')]);
    const deadline = new Deadline(5_000);
    const seen: string[] = [];
    await pumpRelayChunks(body, deadline, 'rid', (read) => void seen.push(...read.map((r) => String(r.json))));
    await new Promise<void>((r) => (deadline.aborted ? r() : deadline.once('abort', () => r())));
    expect(seen).toEqual([content]);
    expect(deadline.reason).toBeInstanceOf(DashScopeAbortedError);
    expect(body.readableEnded).toBe(false);
  });

  it('cancels the request when the consumer throws, and rejects with what it threw', async () => {
    const body = new ScriptedBody([Buffer.from(`data: ${content}\n\n`), Buffer.from(`data: ${content}\n\n`)]);
    const deadline = new Deadline(5_000);
    const oops = new Error('consumer failed');
    await expect(
      pumpRelayChunks(body, deadline, 'rid', () => {
        throw oops;
      }),
    ).rejects.toBe(oops);
    expect(deadline.reason).toBeInstanceOf(DashScopeAbortedError);
  });

  it('delivers a last event not followed by a blank line when the body ends without [DONE]', async () => {
    const reads = await relayed(`data: ${content}\n\ndata: ${finish}`);
    expect(reads.flat().map((r) => r.json)).toEqual([content, finish]);
  });

  it('fails with stream_interrupted when the body breaks', async () => {
    const body = new ScriptedBody([Buffer.from(`data: ${content}\n\n`)]);
    const seen: RelayChunk[][] = [];
    const pumped = pumpRelayChunks(body, new Deadline(5_000), 'rid', (read) => {
      seen.push(read);
      setImmediate(() => body.destroy(new Error('socket hang up')));
    });
    await expect(pumped).rejects.toMatchObject({ code: 'stream_interrupted', requestId: 'rid' });
    expect(seen).toHaveLength(1);
  });

  it('marks the chunks with a finish reason or usage for inspection, and still reads the others on demand', async () => {
    const [read] = await relayed(`data: ${content}\n\ndata: ${finish}\n\ndata: ${usage}\n\ndata: [DONE]\n\n`);
    expect(read?.map((r) => r.needsInspection)).toEqual([false, true, true]);
    expect(read?.[0]?.chunk.choices[0]?.delta.content).toBe('Hello');
    expect(read?.[1]?.chunk.choices[0]?.finish_reason).toBe('stop');
    expect(read?.[2]?.chunk.usage?.total_tokens).toBe(5);
  });

  it('marks for inspection every chunk whose text might carry a finish reason, usage, tool calls or an error', async () => {
    const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'qwen-plus' };
    const texts: [string, boolean][] = [
      // [text, plain]
      [JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }], usage: null }), true],
      [JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: 'say "usage":{} and "finish_reason":"stop"' } }] }), true],
      [JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'length' }] }), false],
      [JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null }, { index: 1, delta: {}, finish_reason: 'stop' }] }), false],
      [JSON.stringify({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: '', function: { arguments: '{' } }] } }] }), false],
      [JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: 'x' } }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }), false],
      [JSON.stringify({ ...base, choices: [] }), false],
      ['{"choices" : [ {"index":0,"delta":{"content":"x"},"finish_reason" : "stop"} ]}', false],
      // two data lines make one chunk text with a line end in it
      ['{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":\ndata: null}]}', false],
    ];
    for (const [text, plain] of texts) {
      const [read] = await relayed(`data: ${text}\n\n`);
      expect(read?.[0]?.needsInspection, text).toBe(!plain);
    }
    // a chunk sent over several data lines goes on as one line, serialised again
    const [multi] = await relayed('data: {"choices":[{"index":0,\ndata: "delta":{"content":"x"}}]}\n\n');
    expect(multi?.[0]?.needsInspection).toBe(true);
    expect(multi?.[0]?.json).toBe('{"choices":[{"index":0,"delta":{"content":"x"}}]}');
  });

  it('fails on an error frame, whichever envelope or event carries it', async () => {
    const frames = [
      'data: {"error":{"code":"Throttling","message":"slow down"}}\n\n',
      'data: {"code":"InternalError","message":"boom","request_id":"r-1"}\n\n',
      `event: error\ndata: ${content}\n\n`,
    ];
    for (const frame of frames) await expect(relayed(`data: ${content}\n\n${frame}`), frame).rejects.toBeInstanceOf(DashScopeStreamError);
  });

  it('takes a read that is exactly one event as that event, keeping its frame to send on as it is', async () => {
    const frames = [`data: ${chunk('')}\n\n`, `data: ${content}\n\n`, `data: ${chunk('你好')}\n\n`, `data: ${finish}\n\n`, 'data: [DONE]\n\n'];
    const reads = await relayedReads(frames);
    expect(reads.map((r) => r.length)).toEqual([1, 1, 1, 1]);
    const items = reads.flat();
    expect(items.map((r) => r.json)).toEqual([chunk(''), content, chunk('你好'), finish]);
    // the first read goes through the parser (the stream's start); every later whole-event read is its own frame
    expect(items.map((r) => r.frame)).toEqual([undefined, frames[1], frames[2], frames[3]]);
    expect(items.map((r) => r.needsInspection)).toEqual([false, false, false, true]);
    expect(items[2]?.chunk.choices[0]?.delta.content).toBe('你好');
  });

  it('falls back to the parser for reads that are not one whole data event, and loses nothing around them', async () => {
    const e = (c: string) => `data: ${chunk(c)}\n\n`;
    const reads = await relayedReads([
      e('a'),
      e('b'),
      `${e('c')}${e('d')}`, // two events in one read
      e('e').slice(0, 20), // an event cut in two ...
      e('e').slice(20),
      e('f'), // ... and a whole one right after it
      `data: ${chunk('g')}\r\n\r\n`, // CRLF line ends
      `: keep-alive\n\n`, // a comment alone
      `id: 7\ndata: ${chunk('h')}\n\n`, // another field first
      e('i'),
      `data:${chunk('j')}\n\n`, // no space after the colon
      'data: [DONE]\n\n',
    ]);
    const items = reads.flat();
    expect(items.map((r) => r.chunk.choices[0]?.delta.content)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
    const framed = items.filter((r) => r.frame !== undefined).map((r) => r.chunk.choices[0]?.delta.content);
    expect(framed).toEqual(['b', 'f', 'i']);
  });

  it('still fails on an error frame that comes as a read of its own, keeping the status of a comment before it', async () => {
    const error = 'data: {"code":"InternalError","message":"boom","request_id":"r-1"}\n\n';
    await expect(relayedReads([`data: ${content}\n\n`, `data: ${content}\n\n`, error])).rejects.toMatchObject({ code: 'InternalError' });
    const throttled = [`data: ${content}\n\n`, `data: ${content}\n\n`, ':HTTP_STATUS/429\n', 'data: {"code":"Throttling","message":"slow down"}\n\n'];
    await expect(relayedReads(throttled)).rejects.toMatchObject({ code: 'Throttling', status: 429 });
    await expect(relayed(throttled.join(''))).rejects.toMatchObject({ code: 'Throttling', status: 429 });
  });

  it('reads every recorded stream the same whether it comes at once or an event per read', async (ctx) => {
    needRecordings(ctx);
    for (const file of fixtureFiles) {
      const lines = fixtureLines(file);
      const frames = [...lines.map((l) => `data: ${l}\n\n`), 'data: [DONE]\n\n'];
      const whole = (await relayed(frames.join(''))).flat();
      const single = (await relayedReads(frames)).flat();
      expect(single.map((r) => r.json), file).toEqual(whole.map((r) => r.json));
      expect(single.map((r) => r.needsInspection), file).toEqual(whole.map((r) => r.needsInspection));
      expect(single.slice(1).every((r, i) => r.frame === frames[i + 1]), file).toBe(true);
    }
  });

  it('leaves only chunks without finish reason, usage or tool calls unparsed, in every recorded stream', async (ctx) => {
    needRecordings(ctx);
    let unparsed = 0;
    for (const file of fixtureFiles) {
      const lines = fixtureLines(file);
      const read = (await relayed(`${lines.map((l) => `data: ${l}\n\n`).join('')}data: [DONE]\n\n`)).flat();
      expect(read.map((r) => r.json)).toEqual(lines);
      const plain = read.filter((r) => !r.needsInspection);
      const parsed = lines.map((l) => JSON.parse(l) as { choices: { finish_reason?: string | null; delta?: { tool_calls?: unknown } }[]; usage?: unknown });
      const needed = parsed.filter((c) => c.usage != null || c.choices.length === 0 || c.choices.some((x) => x.finish_reason != null || x.delta?.tool_calls != null));
      // every chunk the relay must look at was parsed; the others were not
      expect(read.length - plain.length, file).toBe(needed.length);
      unparsed += plain.length;
    }
    expect(unparsed).toBeGreaterThan(100);
  });
});
