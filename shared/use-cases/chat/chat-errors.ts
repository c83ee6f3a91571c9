// The chat use cases' own errors: a request that cannot be served as asked, a conversation too busy to take
// a turn, and DashScope failing, sorted by what went wrong. Statuses: shared/http/error-table.ts.
import { InvalidRequestError } from '../../validation/request-errors.ts';

/** The request cannot be served as asked (model, thinking, JSON mode, tools…); refused before any upstream call. */
export class ChatRequestError extends InvalidRequestError {
  override name = 'ChatRequestError';
}

/** A conversation changed by too many requests at once: this turn could not be saved. */
export class ConversationBusyError extends Error {
  override name = 'ConversationBusyError';
  readonly code = 'conversation_busy';
  readonly param = 'conversation_id';
  constructor(readonly conversationId: string) {
    super(`conversation '${conversationId}' is being changed by too many requests at once; try again`);
  }
}

/**
 * What went wrong upstream: the service's key or account (`auth`, `quota`), DashScope refusing the request
 * itself (`refused`, with its status), throttling, DashScope or the way to it down (`unavailable`), no answer
 * in time (`timeout`), an answer that broke off or could not be read (`broken`), the caller going away (`canceled`).
 */
export type UpstreamProblem = 'auth' | 'quota' | 'refused' | 'throttled' | 'unavailable' | 'timeout' | 'broken' | 'canceled';

/** DashScope failed a chat or embeddings call: its code, its request id and what kind of failure it was. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    readonly problem: UpstreamProblem,
    readonly code: string,
    message: string,
    readonly dashscopeRequestId: string | undefined,
    /** DashScope's own words (never a stack or a key) may be shown; our transport's failures are not. */
    readonly expose: boolean,
    /** DashScope's HTTP status, when it answered with one. */
    readonly upstreamStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The model's answer did not match the request's `response_format.json_schema`, again after one more attempt
 * (a json_schema DashScope does not enforce is served as JSON mode and checked). Names the path that failed.
 */
export class StructuredOutputError extends Error {
  override name = 'StructuredOutputError';
  readonly code = 'json_schema_mismatch';
  readonly param = 'response_format';
  constructor(
    readonly schemaName: string,
    readonly attempts: number,
    readonly path: string,
    readonly reason: string,
    readonly dashscopeRequestId: string | undefined,
  ) {
    super(`the model's answer did not match json_schema '${schemaName}' after ${attempts} attempts: at ${path}: ${reason}`);
  }
}
