// The HTTP edge's own refusals (a body too large or of the wrong type, a missing key, no such route), which
// are about HTTP itself and carry their status. Every other error is mapped by shared/http/error-table.ts.
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** `expose`: show a 5xx message too, when it is written for the caller and carries nothing internal. */
    readonly extra: { param?: string; type?: string; headers?: Record<string, string>; cause?: unknown; expose?: boolean } = {},
  ) {
    super(message, { cause: extra.cause });
  }
  get expose(): boolean {
    return this.extra.expose ?? this.statusCode < 500;
  }
}
