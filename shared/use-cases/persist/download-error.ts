// The one error a result download fails with. `kind` is what the caller acts on: `refused` is final (the
// URL must not or cannot be copied), `transient` is worth another delivery, `status` is an HTTP answer from
// the source that only the caller can interpret (a 403 past `Expires` means the result expired).

export type DownloadFailureKind = 'refused' | 'transient' | 'status';

export type DownloadErrorCode =
  | 'BadUrl'
  | 'NotAllowlisted'
  | 'InsecureScheme'
  | 'ForbiddenAddress'
  | 'RedirectRefused'
  | 'TooManyRedirects'
  | 'TooLarge'
  | 'DnsFailed'
  | 'ConnectionFailed'
  | 'Timeout'
  | 'SourceUnavailable'
  | 'SourceStatus';

export interface DownloadErrorDetails {
  /** HTTP status of the source's answer, for `status` and `SourceUnavailable`. */
  status?: number;
  /** The source's `Date` header, when it sent one (its own idea of now). */
  sourceDate?: Date;
  /** The URL of the hop that failed (may differ from the first after redirects). */
  url?: string;
  cause?: unknown;
}

export class DownloadError extends Error {
  override name = 'DownloadError';
  readonly status?: number;
  readonly sourceDate?: Date;
  readonly url?: string;
  constructor(
    readonly kind: DownloadFailureKind,
    readonly code: DownloadErrorCode,
    message: string,
    details: DownloadErrorDetails = {},
  ) {
    super(message, { cause: details.cause });
    this.status = details.status;
    this.sourceDate = details.sourceDate;
    this.url = details.url;
  }
}

/** Maps whatever a socket, undici or an abort threw while the body was streaming into a DownloadError. */
export function toDownloadError(err: unknown, timedOut: boolean): DownloadError {
  if (err instanceof DownloadError) return err;
  if (timedOut) return new DownloadError('transient', 'Timeout', 'download timed out', { cause: err });
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  const message = err instanceof Error ? err.message : String(err);
  return new DownloadError('transient', 'ConnectionFailed', `download failed: ${code ? `${code} ` : ''}${message}`, { cause: err });
}
