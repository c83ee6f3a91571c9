// ResultSource: where DashScope's result files are read from (their expiring URLs), streamed without ever
// reaching a host or address it must not. Its one error, DownloadError, says by `kind` what the caller can do.
import type { Readable } from 'node:stream';

/**
 * `refused` is final (the URL must not or cannot be copied), `transient` is worth another delivery,
 * `status` is an HTTP answer from the source that only the caller can interpret (a 403 past `Expires`
 * means the result expired).
 */
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
  | 'SourceStatus'
  /** A speech output's parts are not WAVs of one format, so they cannot be joined. */
  | 'UnjoinableParts';

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

/**
 * Maps whatever failed a read (a socket, an abort, a stream torn down) into a DownloadError: a DownloadError
 * stays as it is, anything else is transient (a `Timeout` once the read's deadline passed).
 */
export function toDownloadError(err: unknown, timedOut = false): DownloadError {
  if (err instanceof DownloadError) return err;
  if (timedOut) return new DownloadError('transient', 'Timeout', 'download timed out', { cause: err });
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  const message = err instanceof Error ? err.message : String(err);
  return new DownloadError('transient', 'ConnectionFailed', `download failed: ${code ? `${code} ` : ''}${message}`, { cause: err });
}

export interface OpenResultOptions {
  /** Gives up the read (opening and body) when it aborts, e.g. at the invocation's deadline. */
  signal?: AbortSignal;
}

export interface OpenedResult {
  /** The result's bytes, no more than the source's size limit; fails only with a DownloadError. */
  body: Readable;
  /** The source's Content-Type, if it sent one (a hint: the bytes decide). */
  contentType?: string;
  /** The source's Content-Length, if it sent one. */
  contentLength?: number;
  /**
   * Aborts when the source gives up the read (its deadline, the caller's signal), with the DownloadError
   * saying why as its reason: hand it to whatever consumes the body so that stops too.
   */
  signal: AbortSignal;
  /** Releases the connection; call it whether the body was read to the end or not. */
  discard(): void;
}

export interface ResultSource {
  /**
   * Opens `url` for streaming once the source answered 200. Throws DownloadError: `refused` (not allowed,
   * too large, a redirect off limits), `transient` (DNS, connection, timeout, 408/429/5xx) or `status`
   * (any other answer, with `status` and `sourceDate`).
   */
  open(url: string, options?: OpenResultOptions): Promise<OpenedResult>;
}
