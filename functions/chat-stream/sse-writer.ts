// Server-Sent Events onto a node:http response, the one place chat-stream frames them: each upstream read in
// one write, and always an end (`data: [DONE]`, or an error event then the close), never a silent truncation.
import type { ServerResponse } from 'node:http';
import { toErrorResponse } from '../../shared/http/error-table.ts';
import type { ChatStreamSink } from '../../shared/use-cases/chat/stream-relay.ts';

// headers that stop every proxy in between from buffering the stream
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
} as const;

/**
 * The framing both of chat-stream's SSE sinks share: events appended to a pending text leave in one write per
 * upstream read (flush), as node:http's own cork would send them, but without a chunked-encoding frame and a
 * socket write per event; a producer waits while the socket's buffer is full; the head goes out once.
 */
export interface SseFrames {
  readonly opened: boolean;
  /** Writes the head (200, the SSE headers, DashScope's request id) once. */
  open(info: { dashscopeRequestId?: string }): void;
  /** Adds text to what the next flush writes. */
  append(text: string): void;
  flush(): void | Promise<void>;
  /** Ends the response with what is pending plus `last`; nothing once ended. */
  end(last?: string): void;
  readonly ended: boolean;
}

export function createSseFrames(res: ServerResponse, headers: Record<string, string> = {}): SseFrames {
  let opened = false;
  let pending = '';
  /** The last write filled the socket's buffer: the producer waits for it to drain. */
  let blocked: Promise<void> | undefined;

  const waitForDrain = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        blocked = undefined;
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });

  return {
    get opened() {
      return opened;
    },
    get ended() {
      return res.writableEnded;
    },
    open(info) {
      if (opened) return;
      opened = true;
      // Nagle off: each flush leaves at once
      res.socket?.setNoDelay(true);
      // filled in place: spreads of objects of varying shapes cost about a microsecond each, per request
      const head: Record<string, string> = Object.assign({}, SSE_HEADERS, headers);
      if (info.dashscopeRequestId) head['x-dashscope-request-id'] = info.dashscopeRequestId;
      res.writeHead(200, head);
    },
    append(text) {
      pending += text;
    },
    flush() {
      const text = pending;
      pending = '';
      if (text !== '' && !res.writableEnded && !res.destroyed && !res.write(text)) blocked ??= waitForDrain();
      return blocked;
    },
    end(last = '') {
      if (res.writableEnded) return;
      const text = pending + last;
      pending = '';
      res.end(text);
    },
  };
}

export interface SseSink extends ChatStreamSink {
  /** The response head went out (the first chunk was written). */
  readonly opened: boolean;
}

export function createSseSink(res: ServerResponse, requestId: string, headers: Record<string, string> = {}): SseSink {
  const frames = createSseFrames(res, headers);
  return {
    get opened() {
      return frames.opened;
    },
    open: (info) => frames.open(info),
    forward(chunk) {
      // a chunk that came as one whole frame is sent as it came
      frames.append(chunk.frame ?? `data: ${chunk.json}\n\n`);
    },
    send(chunk) {
      frames.append(`data: ${JSON.stringify(chunk)}\n\n`);
    },
    flush: () => frames.flush(),
    done() {
      frames.end('data: [DONE]\n\n');
    },
    fail(error) {
      if (frames.ended) return;
      frames.open({});
      frames.end(`data: ${JSON.stringify(toErrorResponse(error, requestId).body)}\n\n`);
    },
  };
}
