import { describe, expect, it } from 'vitest';
import { needRecordings, recordedFiles, recordedLines } from '../../test/support/recordings.ts';
import { chatCompletionChunkSchema } from './schemas.ts';
import { httpStatusComment, parseSse, SseParser } from './sse.ts';
import type { SseEvent } from './sse.ts';
// the emulator's seedable PRNG, so a failing slice pattern can be replayed
import { prng } from '../../dev/emulator/text-gen.ts';

/** Cuts bytes into slices of 1..maxSlice bytes (cutting through multi-byte characters and line ends). */
function slices(bytes: Uint8Array, random: () => number, maxSlice: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; ) {
    const n = 1 + Math.floor(random() * maxSlice);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

function feed(parts: (Uint8Array | string)[]): SseEvent[] {
  const parser = new SseParser();
  const events = parts.flatMap((p) => parser.push(p));
  return [...events, ...parser.end()];
}

const enc = new TextEncoder();

describe('SseParser', () => {
  it('parses data, event and id fields and joins multi-line data with newlines', () => {
    const events = feed(['id: 7\nevent: result\ndata: first\ndata: second\n\n']);
    expect(events).toEqual([{ event: 'result', data: 'first\nsecond', id: '7', comments: [] }]);
  });

  it('accepts \\r\\n, \\r and \\n line ends, also when a \\r\\n is split across two chunks', () => {
    const events = feed(['data: a\r', '\n\r', '\ndata: b\r\rdata: c\n\n']);
    expect(events.map((e) => e.data)).toEqual(['a', 'b', 'c']);
  });

  it('keeps comments such as :HTTP_STATUS/200 on the event that follows them', () => {
    const events = feed(['id:1\nevent:result\n:HTTP_STATUS/200\ndata:{"x":1}\n\n', 'data: no comment\n\n']);
    expect(events[0]).toMatchObject({ event: 'result', id: '1', data: '{"x":1}', comments: ['HTTP_STATUS/200'] });
    expect(httpStatusComment(events[0]!)).toBe(200);
    expect(events[1]!.comments).toEqual([]);
    expect(httpStatusComment(events[1]!)).toBeUndefined();
  });

  it('strips exactly one space after the colon and treats a bare field name as an empty value', () => {
    const events = feed(['data:  two spaces\n\ndata\n\n']);
    expect(events.map((e) => e.data)).toEqual([' two spaces', '']);
  });

  it('keeps the last id for later events and defaults the event type to message', () => {
    const events = feed(['id: 3\ndata: a\n\ndata: b\n\n']);
    expect(events.map((e) => [e.id, e.event])).toEqual([
      ['3', 'message'],
      ['3', 'message'],
    ]);
  });

  it('does not dispatch a block without data, and ignores unknown fields', () => {
    const events = feed(['event: ping\n\nfoo: bar\ndata: x\n\n']);
    expect(events).toEqual([{ event: 'message', data: 'x', comments: [] }]);
  });

  it('reads retry only when it is all digits', () => {
    expect(feed(['retry: 1500\ndata: a\n\nretry: soon\ndata: b\n\n']).map((e) => e.retry)).toEqual([1500, undefined]);
  });

  it('decodes a multi-byte UTF-8 character split across chunks', () => {
    const bytes = enc.encode('data: 草莓 🍓\n\n');
    const events = feed(Array.from(bytes, (b) => Uint8Array.of(b)));
    expect(events.map((e) => e.data)).toEqual(['草莓 🍓']);
  });

  it('delivers a last event that is not followed by a blank line when the stream ends', () => {
    expect(feed(['data: a\n\ndata: [DONE]']).map((e) => e.data)).toEqual(['a', '[DONE]']);
  });

  it('ignores a byte-order mark at the very start', () => {
    expect(feed(['\uFEFFdata: a\n\n']).map((e) => e.data)).toEqual(['a']);
  });

  it('is idle only between whole events, once the stream has started', () => {
    const parser = new SseParser();
    expect(parser.idle).toBe(false); // the start (and its byte-order mark) is still to come
    parser.push('data: a\n\n');
    expect(parser.idle).toBe(true);
    const cases: [string, boolean][] = [
      ['data: b', false], // a partial line
      ['\n', false], // a data field waiting for its blank line
      ['\n', true],
      [': comment\n', false], // a comment kept for the next event
      ['data: c\n\n', true],
      ['event: x\n', false],
      ['data: d\n\n', true],
      ['data: e\r\n\r', false], // the \n of a split \r\n may still come
      ['\n', true],
    ];
    for (const [text, idle] of cases) {
      parser.push(text);
      expect(parser.idle, JSON.stringify(text)).toBe(idle);
    }
  });

  it('parseSse yields events from an async byte source as they complete', async () => {
    async function* source() {
      yield enc.encode('data: 1\n');
      yield enc.encode('\ndata: 2\n\n');
    }
    const out: string[] = [];
    for await (const e of parseSse(source())) out.push(e.data);
    expect(out).toEqual(['1', '2']);
  });
});

const fixtureFiles = recordedFiles('.chunks.txt');

describe('recorded DashScope chat streams replayed through the parser', () => {
  if (fixtureFiles.length === 0) it('round-trips every recorded chunk', (ctx) => needRecordings(ctx));
  for (const file of fixtureFiles) {
    it(`round-trips every chunk of ${file} when fed in random-sized byte slices`, () => {
      const lines = recordedLines(file);
      const wire = enc.encode(lines.map((l) => `data: ${l}\n\n`).join('') + 'data: [DONE]\n\n');
      for (const [seed, maxSlice] of [
        [1, 1],
        [2, 7],
        [3, 64],
        [4, 4096],
      ] as const) {
        const events = feed(slices(wire, prng(seed), maxSlice));
        expect(events.map((e) => e.data)).toEqual([...lines, '[DONE]']);
        events.slice(0, -1).forEach((e, i) => {
          expect(JSON.parse(e.data)).toEqual(JSON.parse(lines[i]!));
          expect(chatCompletionChunkSchema.safeParse(JSON.parse(e.data)).success).toBe(true);
        });
      }
    });
  }
});
