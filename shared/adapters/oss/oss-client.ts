// OSS clients for one bucket, made per operation from the credentials of that moment (STS tokens rotate),
// V4-signed over node:http(s); retries of what OSS says is transient, and failures in a plain, secret-free shape.
import { OssFailure } from './oss-failure.ts';
import { isIpHost, OssHttpClient, type OssTarget } from './oss-http-client.ts';

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

const EXPIRED = new Set(['SecurityTokenExpired', 'InvalidSecurityToken', 'ExpiredToken']);

export type ClientKind = 'data' | 'public';

const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

function endpointUrl(name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} '${value.slice(0, 100)}' is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${name} must be an http(s) URL`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search) throw new Error(`${name} must be an origin, without path or query`);
  return url;
}

export class OssClients {
  private readonly targets: Record<ClientKind, OssTarget>;

  /** Throws (plain Error) on a bucket name or endpoint OSS would not take. */
  constructor(readonly options: OssClientOptions) {
    if (!BUCKET_NAME.test(options.bucket)) throw new Error(`bucket name '${options.bucket.slice(0, 70)}' is not valid (3-63 of a-z, 0-9, '-')`);
    const region = options.region.replace(/^oss-/, '');
    if (!/^[a-z0-9-]+$/.test(region)) throw new Error(`region '${options.region.slice(0, 40)}' is not valid`);
    const fallback = `https://oss-${region}.aliyuncs.com`;
    const common = { bucket: options.bucket, region, timeoutMs: options.timeoutMs ?? 60_000 };
    this.targets = {
      data: { ...common, endpoint: endpointUrl('endpoint', options.endpoint ?? fallback) },
      public: { ...common, endpoint: endpointUrl('publicEndpoint', options.publicEndpoint ?? fallback) },
    };
  }

  get bucket(): string {
    return this.options.bucket;
  }

  /** Standard region (`cn-beijing`) the signatures are scoped to and a new bucket is made in. */
  get region(): string {
    return this.targets.data.region;
  }

  /** True when `kind`'s endpoint is an IP (a stand-in), addressed path-style. */
  pathStyle(kind: ClientKind): boolean {
    return isIpHost(this.targets[kind].endpoint.hostname);
  }

  /**
   * Runs `op` with a client holding fresh credentials. Expired credentials are fetched again once; transient
   * failures are retried with backoff (every request the adapter sends has a buffered body, so a retry is
   * safe; a body read as a stream is the caller's and is never retried).
   */
  async run<T>(operation: string, kind: ClientKind, op: (client: OssHttpClient) => Promise<T>): Promise<T> {
    const attempts = Math.max(1, this.options.attempts ?? 3);
    let refresh = false;
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const creds = await this.options.credentials({ refresh });
      refresh = false;
      const client = new OssHttpClient(this.targets[kind], creds);
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
 * Reduces what an operation threw to OssFailure. The client throws OssFailure for every answer and network
 * error; anything else (a bug, a throwing callback) becomes a non-transient failure named after its type.
 */
export function toFailure(operation: string, e: unknown): OssFailure {
  if (e instanceof OssFailure) return e;
  const name = e instanceof Error ? e.name : 'Error';
  return new OssFailure(operation, 0, name.replace(/Error$/, '') || 'Unknown', undefined);
}
