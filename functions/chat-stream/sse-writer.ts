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

export interface SseSink extends ChatStreamSink {
  /** The response head went out (the first chunk was written). */
  readonly opened: boolean;
}

export function createSseSink(res: ServerResponse, requestId: string, headers: Record<string, string> = {}): SseSink {
  let opened = false;
  // The events of one upstream read leave in one write (flush), as node:http's own cork would send them, but
  // without a chunked-encoding frame and a socket write per event.
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

  const flush = (): void | Promise<void> => {
    const text = pending;
    pending = '';
    if (text !== '' && !res.writableEnded && !res.destroyed && !res.write(text)) blocked ??= waitForDrain();
    return blocked;
  };

  /** Ends the response with what is pending plus a last event. */
  const end = (last: string) => {
    const text = pending + last;
    pending = '';
    res.end(text);
  };

  const open = (info: { dashscopeRequestId?: string }) => {
    if (opened) return;
    opened = true;
    // Nagle off: each flush leaves at once
    res.socket?.setNoDelay(true);
    // filled in place: spreads of objects of varying shapes cost about a microsecond each, per request
    const head: Record<string, string> = Object.assign({}, SSE_HEADERS, headers);
    if (info.dashscopeRequestId) head['x-dashscope-request-id'] = info.dashscopeRequestId;
    res.writeHead(200, head);
  };

  return {
    get opened() {
      return opened;
    },
    open,
    forward(chunk) {
      // a chunk that came as one whole frame is sent as it came
      pending += chunk.frame ?? `data: ${chunk.json}\n\n`;
    },
    send(chunk) {
      pending += `data: ${JSON.stringify(chunk)}\n\n`;
    },
    flush,
    done() {
      if (!res.writableEnded) end('data: [DONE]\n\n');
    },
    fail(error) {
      if (res.writableEnded) return;
      open({});
      end(`data: ${JSON.stringify(toErrorResponse(error, requestId).body)}\n\n`);
    },
  };
}
