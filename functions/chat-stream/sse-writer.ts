// Server-Sent Events onto a node:http response: headers that stop every proxy from buffering, Nagle off,
// each chunk written the moment it is given, and always an end — `data: [DONE]`, or an error event in the
// public error shape followed by the close, never a silent truncation.
import type { ServerResponse } from 'node:http';
import { toErrorResponse } from '../../shared/http/errors.ts';
import type { ChatChunk } from '../../shared/use-cases/chat/chat-chunk.ts';
import type { ChatStreamSink } from '../../shared/use-cases/chat/stream-relay.ts';

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
  const waitForDrain = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });

  const open = (info: { dashscopeRequestId?: string }) => {
    if (opened) return;
    opened = true;
    res.socket?.setNoDelay(true);
    res.writeHead(200, {
      ...SSE_HEADERS,
      ...headers,
      ...(info.dashscopeRequestId ? { 'x-dashscope-request-id': info.dashscopeRequestId } : {}),
    });
  };

  return {
    get opened() {
      return opened;
    },
    open,
    chunk(chunk: ChatChunk) {
      if (res.write(`data: ${JSON.stringify(chunk)}\n\n`) || res.destroyed) return;
      return waitForDrain();
    },
    done() {
      if (!res.writableEnded) res.end('data: [DONE]\n\n');
    },
    fail(error) {
      if (res.writableEnded) return;
      open({});
      res.end(`data: ${JSON.stringify(toErrorResponse(error, requestId).body)}\n\n`);
    },
  };
}
