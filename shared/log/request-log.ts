// The one log line an HTTP function writes per request: who asked for what, how it ended, how long it took,
// and what the route learned on the way (model, tokens, task). Never a prompt, an answer or a key.

/** What a route adds to its request's line as it learns it. */
export interface RequestNote {
  /** The tenant the request acted for (never its key). */
  tenant?: string;
  model?: string;
  stream?: boolean;
  thinking?: boolean;
  /** completed: the whole answer reached the client; aborted: the client left; failed: an error event ended a stream. */
  end?: 'completed' | 'aborted' | 'failed';
  dashscopeRequestId?: string;
  dashscopeRequestIds?: string[];
  /** Time to the first generated token, ms. */
  ttftMs?: number;
  // plain names: the logger redacts any key containing "token"
  usage?: { input?: number; output?: number; total?: number; reasoning?: number; cached?: number };
  conversationId?: string;
  historyTurns?: number;
  /** Chat: OpenAI's `user`, the app's id of its end user (bounded by the request schema; never sent upstream). */
  endUser?: string;
  /** Chat: the parameters sent upstream with other values than the client's (`x-adjusted-parameters`). */
  adjusted?: string;
  /** Chat: what the layer changed to have the request served (JSON instruction, thinking off, a checked schema). */
  adjustments?: { jsonInstruction: boolean; thinkingOff?: string; schema?: string; attempts?: number };
  /** Responses API: the response's id. */
  responseId?: string;
  /** Embeddings: texts in, batches sent upstream. */
  inputs?: number;
  batches?: number;
  /** Tasks: the task's type, id and what the request did with it. */
  type?: string;
  taskId?: string;
  outcome?: string;
  /** Pipelines: the pipeline's id. */
  pipelineId?: string;
  errorCode?: string;
  /** Only for a 5xx: the error itself (the logger keeps its name, message and code). */
  error?: unknown;
}

export interface RequestLogLine extends RequestNote {
  requestId: string;
  method: string | undefined;
  path: string;
  status: number;
  latencyMs: number;
}

/** Milliseconds to a tenth, the precision of every duration in the logs. */
export const roundMs = (ms: number): number => Math.round(ms * 10) / 10;
