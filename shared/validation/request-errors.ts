// Refusals of what a caller sent, shared by every use case: invalid (naming the field at fault) or over a
// limit. No retry fixes either: the HTTP edge answers them 4xx, an event trigger records them as never valid.

export class InvalidRequestError extends Error {
  override name = 'InvalidRequestError';
  constructor(
    /** Stable, for programs: e.g. `invalid_request`, `model_not_found`, `json_too_deep`. */
    readonly code: string,
    /** Written for the developer who reads it; quotes client text only clipped. */
    message: string,
    /** The field, header or query parameter at fault (`messages.0.role`, `Idempotency-Key`, `limit`). */
    readonly param?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The request is well formed but asks for more than is accepted at once (inputs, bytes). */
export class LimitExceededError extends InvalidRequestError {
  override name = 'LimitExceededError';
}
