// The chat use cases' own errors. Each carries statusCode and code, so the HTTP layer maps them to the public
// error shape without knowing them; 4xx messages are written for the app developer who will read them.

/** The request cannot be served as asked; refused before any upstream call. */
export class ChatRequestError extends Error {
  override name = 'ChatRequestError';
  constructor(
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

/** Anything DashScope answered with an error, in the public shape: its code, a fitting status, its request id. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly dashscopeRequestId: string | undefined,
    /** DashScope's answers are its own plain text (never a stack or a key), so even 5xx ones may be shown. */
    readonly expose: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
