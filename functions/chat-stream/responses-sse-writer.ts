// Server-Sent Events of the Responses API onto a node:http response: named events (`event: <type>`), the
// events of one upstream read in one write, and always an end (response.completed or response.failed).
import type { ServerResponse } from 'node:http';
import { toErrorResponse } from '../../shared/http/error-table.ts';
import type { ResponseEventSink } from '../../shared/use-cases/responses/response-stream.ts';
import { createSseFrames } from './sse-writer.ts';

export interface ResponsesSseSink extends ResponseEventSink {
  /** The response head went out. */
  readonly opened: boolean;
}

export function createResponsesSseSink(res: ServerResponse, requestId: string, headers: Record<string, string> = {}): ResponsesSseSink {
  const frames = createSseFrames(res, headers);
  const event = (e: { type: string; [field: string]: unknown }) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
  return {
    get opened() {
      return frames.opened;
    },
    open: (info) => frames.open(info),
    event(e) {
      frames.append(event(e));
    },
    flush: () => frames.flush(),
    end: () => frames.end(),
    fail(error, sequence, response) {
      if (frames.ended) return;
      frames.open({});
      const { error: e } = toErrorResponse(error, requestId).body;
      frames.end(event({ type: 'response.failed', sequence_number: sequence, response: { ...response, status: 'failed', error: { code: e.code, message: e.message } } }));
    },
  };
}
