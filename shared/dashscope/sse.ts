// A streaming Server-Sent Events parser (bytes in, events out) following the WHATWG event-stream rules.
// Comments stay on the event they precede: DashScope's native streams put the upstream status in one.

export interface SseEvent {
  /** `event:` field; `message` when absent. */
  event: string;
  /** `data:` lines joined with `\n`. */
  data: string;
  /** The last event id seen so far in the stream (`id:` persists across events). */
  id?: string;
  retry?: number;
  /** Comment lines (without the leading `:`) seen since the previous event. */
  readonly comments: readonly string[];
}

/** The comments of an event that had none: one shared empty list instead of a new one per event. */
export const NO_COMMENTS: readonly string[] = Object.freeze([]);

/**
 * Handles `\n`, `\r\n` and `\r` line ends (also split across chunks), UTF-8 split across chunks, comments,
 * `id:`, `event:`, `retry:` and multi-line `data:`.
 */
export class SseParser {
  /** Made on the first bytes pushed: a relay that decodes its reads itself never needs one. */
  private decoder: InstanceType<typeof TextDecoder> | undefined;
  private buffer = '';
  /** How much of `buffer` is known to hold no line end (so a long line is not rescanned per chunk). */
  private scanned = 0;
  /** The previous chunk ended in `\r`: a `\n` at the start of the next one belongs to that line end. */
  private skipLeadingLf = false;
  private started = false;
  private eventType = '';
  /** The event's `data:` lines: the first on its own (nearly every event has just one), the rest in a list. */
  private data: string | undefined;
  private moreData: string[] | undefined;
  private lastId: string | undefined;
  private retry: number | undefined;
  private comments: string[] | undefined;

  /**
   * Between events: everything pushed so far was whole events, with nothing of a next one begun (no partial
   * line, no pending field or comment, no split line end) and the stream's start already seen. A reader may
   * then take text that is exactly one `data:` line and its blank line as that event itself, without pushing
   * it, and the parser's state is what pushing it would have left.
   */
  get idle(): boolean {
    return this.started && this.buffer === '' && this.data === undefined && this.eventType === '' && this.comments === undefined && !this.skipLeadingLf;
  }

  /** Feeds bytes (or text); returns the events completed by them. */
  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : (this.decoder ??= new TextDecoder('utf-8')).decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.skipLeadingLf && text.length > 0) {
      if (text[0] === '\n') text = text.slice(1);
      this.skipLeadingLf = false;
    }
    this.buffer += text;
    return this.drainLines();
  }

  /** Signals the end of the stream; a last event not followed by a blank line is still delivered. */
  end(): SseEvent[] {
    if (this.decoder) this.buffer += this.decoder.decode();
    const out = this.drainLines();
    if (this.buffer.length > 0) {
      this.processLine(this.buffer, out);
      this.buffer = '';
      this.scanned = 0;
    }
    this.dispatch(out);
    return out;
  }

  private drainLines(): SseEvent[] {
    const out: SseEvent[] = [];
    const buf = this.buffer;
    let start = 0;
    let i = this.scanned;
    // indexOf finds line ends natively, far cheaper than a JS loop over every character of every chunk
    let nextCr = buf.indexOf('\r', i);
    for (;;) {
      const nextLf = buf.indexOf('\n', i);
      if (nextCr !== -1 && nextCr < i) nextCr = buf.indexOf('\r', i);
      const isCr = nextCr !== -1 && (nextLf === -1 || nextCr < nextLf);
      const end = isCr ? nextCr : nextLf;
      if (end === -1) break;
      this.processLine(buf.slice(start, end), out);
      i = end + 1;
      if (isCr) {
        if (i < buf.length) {
          if (buf.charCodeAt(i) === 10) i++;
        } else {
          this.skipLeadingLf = true;
        }
      }
      start = i;
    }
    this.buffer = buf.slice(start);
    this.scanned = this.buffer.length;
    return out;
  }

  private processLine(line: string, out: SseEvent[]): void {
    if (line === '') return this.dispatch(out);
    if (line[0] === ':') {
      (this.comments ??= []).push(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value[0] === ' ') value = value.slice(1);
    switch (field) {
      case 'data':
        if (this.data === undefined) this.data = value;
        else (this.moreData ??= []).push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
      // unknown fields are ignored, as the standard says
    }
  }

  private dispatch(out: SseEvent[]): void {
    if (this.data !== undefined) {
      const data = this.moreData ? [this.data, ...this.moreData].join('\n') : this.data;
      const event: SseEvent = { event: this.eventType || 'message', data, comments: this.comments ?? NO_COMMENTS };
      if (this.lastId !== undefined) event.id = this.lastId;
      if (this.retry !== undefined) event.retry = this.retry;
      out.push(event);
      this.comments = undefined;
    }
    // an event without data is not dispatched; its type is dropped, its comments wait for the next event
    this.eventType = '';
    this.data = undefined;
    this.moreData = undefined;
    this.retry = undefined;
  }
}

/** Parses a byte stream into events as they complete. */
export async function* parseSse(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent, void, undefined> {
  const parser = new SseParser();
  for await (const chunk of source) yield* parser.push(chunk);
  yield* parser.end();
}

/** The upstream status DashScope puts in a `:HTTP_STATUS/<code>` comment of a native stream, if any. */
export function httpStatusComment(event: SseEvent): number | undefined {
  for (const c of event.comments) {
    const m = /^HTTP_STATUS\/(\d{3})$/.exec(c.trim());
    if (m) return Number(m[1]);
  }
  return undefined;
}
