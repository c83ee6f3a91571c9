// The part of ali-oss 6.x (no bundled types; a dev dependency) that tests call: the OSS stand-in's own checks
// and the comparison of our V4 signatures with the SDK's, typed from the SDK's source.
declare module 'ali-oss' {
  import type { Readable } from 'node:stream';

  export interface ClientOptions {
    accessKeyId: string;
    accessKeySecret: string;
    stsToken?: string;
    region?: string;
    endpoint?: string;
    bucket?: string;
    internal?: boolean;
    secure?: boolean;
    timeout?: number;
    sldEnable?: boolean;
    authorizationV4?: boolean;
    retryMax?: number;
  }
  /** What the constructor makes of ClientOptions; passing it back (with `inited`) skips validation. */
  export interface InitedOptions extends ClientOptions {
    inited: true;
  }
  export interface ResponseInfo {
    status: number;
    headers: Record<string, string | undefined>;
  }
  export interface RequestParams {
    object: string;
    bucket: string;
    method: string;
    subres?: Record<string, string | number>;
    headers?: Record<string, string>;
    content?: Buffer;
    mime?: string;
    successStatuses?: number[];
    xmlResponse?: boolean;
  }
  class OSS {
    constructor(options: ClientOptions | InitedOptions);
    options: InitedOptions;
    put(name: string, body: Buffer, options?: { headers?: Record<string, string>; mime?: string; timeout?: number }): Promise<{ res: ResponseInfo }>;
    putStream(name: string, stream: Readable, options?: { headers?: Record<string, string>; mime?: string; contentLength?: number }): Promise<{ res: ResponseInfo }>;
    head(name: string): Promise<{ status: number; res: ResponseInfo; meta: Record<string, string> | null }>;
    getStream(name: string): Promise<{ stream: Readable; res: ResponseInfo }>;
    delete(name: string): Promise<{ res: ResponseInfo }>;
    initMultipartUpload(name: string, options?: { headers?: Record<string, string>; mime?: string }): Promise<{ uploadId: string; res: ResponseInfo }>;
    completeMultipartUpload(
      name: string,
      uploadId: string,
      parts: { number: number; etag: string }[],
      options?: { headers?: Record<string, string> },
    ): Promise<{ etag: string; res: ResponseInfo }>;
    abortMultipartUpload(name: string, uploadId: string): Promise<{ res: ResponseInfo }>;
    signatureUrlV4(method: string, expires: number, request: { headers?: Record<string, string>; queries?: Record<string, string> }, objectName: string): Promise<string>;
    /** The SDK's signed request primitive (used for UploadPart with a Buffer and for CopyObject's exact headers). */
    request(params: RequestParams): Promise<{ status: number; headers: Record<string, string | undefined>; res: ResponseInfo; data: unknown }>;
    _objectRequestParams(method: string, name: string, options: { subres?: Record<string, string | number>; headers?: Record<string, string> }): RequestParams;
    /** The SDK's V4 Authorization header for a request (headers must hold x-oss-date). */
    authorizationV4(method: string, request: { headers: Record<string, string>; queries: Record<string, string | null> }, bucketName?: string, objectName?: string, additionalHeaders?: string[]): string;
    static initOptions(options: ClientOptions): InitedOptions;
  }
  export default OSS;
}
