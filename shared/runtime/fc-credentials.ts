// The role credentials Function Compute hands each invocation, kept for the cloud adapters, which ask for them
// on every call: STS credentials rotate, so the latest invocation's are used, and the environment's are the fallback.

export interface CloudCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export class MissingCredentialsError extends Error {
  override name = 'MissingCredentialsError';
}

export class FcCredentials {
  private latest: CloudCredentials | undefined;

  /** `env`: ALIBABA_CLOUD_ACCESS_KEY_ID, _SECRET and _SECURITY_TOKEN, which FC also sets (and a developer may). */
  constructor(private readonly env: Readonly<Record<string, string | undefined>> = {}) {}

  /** Takes the credentials an invocation brought (context.credentials, or FC's x-fc-access-key-* headers). */
  update(credentials: CloudCredentials | undefined): void {
    if (credentials?.accessKeyId && credentials.accessKeySecret) this.latest = credentials;
  }

  /** The credentials to sign the next call with. */
  current(): CloudCredentials {
    if (this.latest) return this.latest;
    const { ALIBABA_CLOUD_ACCESS_KEY_ID: accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: accessKeySecret, ALIBABA_CLOUD_SECURITY_TOKEN: securityToken } = this.env;
    if (accessKeyId && accessKeySecret) return { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) };
    throw new MissingCredentialsError('no Alibaba Cloud credentials: none came with the invocation and ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET are not set');
  }
}
