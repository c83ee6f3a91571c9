// Server-Sent Events of the Responses API onto a node:http response: named events (`event: <type>`), the
// events of one upstream read in one write, and always an end (response.completed or response.failed).
import type { ServerResponse } from 'node:http';
import { toErrorResponse } from '../../shared/http/error-table.ts';
import type { ResponseEventSink } from '../../shared/use-cases/responses/response-stream.ts';
import { SSE_HEADERS } from './sse-writer.ts';

export interface ResponsesSseSink extends ResponseEventSink {
  /** The response head went out. */
  readonly opened: boolean;
}

export function createResponsesSseSink(res: ServerResponse, requestId: string, headers: Record<string, string> = {}): ResponsesSseSink {
  let opened = false;
  let pending = '';
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

  const open = (info: { dashscopeRequestId?: string }) => {
    if (opened) return;
    opened = true;
    res.socket?.setNoDelay(true);
    const head: Record<string, string> = Object.assign({}, SSE_HEADERS, headers);
    if (info.dashscopeRequestId) head['x-dashscope-request-id'] = info.dashscopeRequestId;
    res.writeHead(200, head);
  };

  const end = () => {
    if (res.writableEnded) return;
    const text = pending;
    pending = '';
    res.end(text);
  };

  return {
    get opened() {
      return opened;
    },
    open,
    event(e) {
      pending += `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
    },
    flush() {
      const text = pending;
      pending = '';
      if (text !== '' && !res.writableEnded && !res.destroyed && !res.write(text)) blocked ??= waitForDrain();
      return blocked;
    },
    end,
    fail(error, sequence, response) {
      if (res.writableEnded) return;
      open({});
      const { error: e } = toErrorResponse(error, requestId).body;
      const failed = { type: 'response.failed', sequence_number: sequence, response: { ...response, status: 'failed', error: { code: e.code, message: e.message } } };
      pending += `event: response.failed\ndata: ${JSON.stringify(failed)}\n\n`;
      end();
    },
  };
}
