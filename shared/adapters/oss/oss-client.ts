// ali-oss clients for one bucket, built per operation from the credentials of that moment (STS tokens rotate),
// with V4 signing; retries of what OSS says is transient, and OSS failures reduced to a plain, secret-free shape.
import OSS, { type InitedOptions } from 'ali-oss';

export interface OssCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS security token (FC's role credentials always have one). */
  securityToken?: string;
}

/** Called before every operation; `refresh: true` after OSS said the last credentials expired. */
export type CredentialsProvider = (options: { refresh: boolean }) => Promise<OssCredentials>;

export interface OssClientOptions {
  bucket: string;
  /** `cn-beijing` or `oss-cn-beijing`: V4 signatures are scoped to it. */
  region: string;
  /** Endpoint for data (in FC: the region's -internal endpoint). Default: the region's public endpoint. */
  endpoint?: string;
  /** Endpoint the signed URLs point at (apps fetch them from outside). Default: the region's public endpoint. */
  publicEndpoint?: string;
  credentials: CredentialsProvider;
  timeoutMs?: number;
  /** Attempts per request for 5xx, throttling and network failures (default 3). */
  attempts?: number;
  /** First backoff delay; doubles per attempt, with jitter (default 200 ms). */
  backoffMs?: number;
}

/** An OSS failure without the SDK's error object (which carries the signed request headers). */
export class OssFailure {
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly code: string,
    readonly requestId: string | undefined,
  ) {}

  get transient(): boolean {
    return this.status < 0 || this.status >= 500 || this.code === 'SlowDown' || this.code === 'RequestTimeout';
  }
}

const EXPIRED = new Set(['SecurityTokenExpired', 'InvalidSecurityToken', 'ExpiredToken']);

export type ClientKind = 'data' | 'public';

const isIp = (host: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith('[');

export class OssClients {
  private readonly base: Record<ClientKind, InitedOptions>;

  constructor(readonly options: OssClientOptions) {
    const region = `oss-${options.region.replace(/^oss-/, '')}`;
    const common = { bucket: options.bucket, region, authorizationV4: true, secure: true, timeout: options.timeoutMs ?? 60_000, accessKeyId: '-', accessKeySecret: '-' };
    const publicEndpoint = options.publicEndpoint ?? `https://${region}.aliyuncs.com`;
    this.base = {
      data: OSS.initOptions({ ...common, endpoint: options.endpoint ?? `https://${region}.aliyuncs.com` }),
      // ali-oss cannot put a bucket in front of an IP (a stand-in): such URLs carry the bucket in the path
      public: OSS.initOptions({ ...common, endpoint: publicEndpoint, sldEnable: isIp(new URL(publicEndpoint).hostname) }),
    };
  }

  get bucket(): string {
    return this.options.bucket;
  }

  /**
   * Runs `op` with a client holding fresh credentials. Expired credentials are fetched again once; transient
   * failures are retried with backoff (every request the adapter sends has a buffered body, so a retry is safe).
   */
  async run<T>(operation: string, kind: ClientKind, op: (client: OSS) => Promise<T>): Promise<T> {
    const attempts = Math.max(1, this.options.attempts ?? 3);
    let refresh = false;
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const creds = await this.options.credentials({ refresh });
      refresh = false;
      // passing inited options back skips the SDK's validation and its console warning about STS refresh
      const client = new OSS({ ...this.base[kind], accessKeyId: creds.accessKeyId, accessKeySecret: creds.accessKeySecret, stsToken: creds.securityToken });
      try {
        return await op(client);
      } catch (e) {
        const failure = toFailure(operation, e);
        if (EXPIRED.has(failure.code) && !refreshed) {
          refresh = refreshed = true;
          attempt--;
          continue;
        }
        if (!failure.transient || attempt >= attempts) throw failure;
        const delay = (this.options.backoffMs ?? 200) * 2 ** (attempt - 1);
        await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * (delay / 2)));
      }
    }
  }
}

/**
 * Reduces what an SDK call threw to OssFailure. Everything thrown inside run() comes from the SDK or its HTTP
 * client (timeouts carry no status: -2, like the client's own), so nothing of theirs travels further.
 */
export function toFailure(operation: string, e: unknown): OssFailure {
  if (e instanceof OssFailure) return e;
  const err = (e ?? {}) as { status?: unknown; code?: unknown; requestId?: unknown; name?: unknown };
  const name = typeof err.name === 'string' ? err.name : 'Error';
  const status = typeof err.status === 'number' ? err.status : /Timeout/i.test(name) ? -2 : -1;
  const code = typeof err.code === 'string' && err.code ? err.code : name.replace(/Error$/, '') || 'Unknown';
  return new OssFailure(operation, status, code, typeof err.requestId === 'string' ? err.requestId : undefined);
}
