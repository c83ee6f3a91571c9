// What an OSS call that failed leaves behind: the operation, status, OSS's code and request id, nothing of
// the request (its headers hold the signature and the STS token).
export class OssFailure extends Error {
  override name = 'OssFailure';

  constructor(
    readonly operation: string,
    /** HTTP status; -1 no answer (network), -2 timeout, -3 aborted. */
    readonly status: number,
    readonly code: string,
    readonly requestId: string | undefined,
  ) {
    super(`OSS ${operation} failed: ${code} (status ${status}${requestId ? `, request id ${requestId}` : ''})`);
  }

  get transient(): boolean {
    return this.status === -1 || this.status === -2 || this.status >= 500 || this.code === 'SlowDown' || this.code === 'RequestTimeout';
  }
}
