// Our V4 signatures against ali-oss's (a dev dependency, kept for this): for the same credentials, date,
// method, key, headers and query, the Authorization header and the presigned URL must be the same strings.
import { createRequire } from 'node:module';
import OSS from 'ali-oss';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OssHttpClient } from './oss-http-client.ts';
import { authorizationV4, canonicalQuery, v4Date } from './oss-v4-signer.ts';

// test credentials only (the stand-ins' style), never real ones
interface Creds {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}
const PLAIN: Creds = { accessKeyId: 'LTAI-unit', accessKeySecret: 'unit-secret' };
const STS: Creds = { accessKeyId: 'STS.unit', accessKeySecret: 'sts-secret', securityToken: 'CAIS-unit-token/with+odd=chars' };
const AT = new Date('2026-12-03T13:40:05.123Z');
const BUCKET = 'test-bucket';

// options made by initOptions and passed back skip the SDK's console warning about refreshing STS tokens
const sdk = (creds: { accessKeyId: string; accessKeySecret: string; securityToken?: string }, endpoint = 'https://oss-cn-hangzhou.aliyuncs.com', sldEnable = false) =>
  new OSS({
    ...OSS.initOptions({ accessKeyId: creds.accessKeyId, accessKeySecret: creds.accessKeySecret, bucket: BUCKET, region: 'oss-cn-hangzhou', endpoint, sldEnable, authorizationV4: true, secure: true }),
    ...(creds.securityToken ? { stsToken: creds.securityToken } : {}),
  });
const ours = (creds: { accessKeyId: string; accessKeySecret: string; securityToken?: string }, endpoint = 'https://oss-cn-hangzhou.aliyuncs.com') =>
  new OssHttpClient({ bucket: BUCKET, region: 'cn-hangzhou', endpoint: new URL(endpoint), timeoutMs: 1000 }, creds, () => AT);

/** ali-oss's own request builder (what it signs and sends), not exported from the package's entry. */
const { createRequest } = createRequire(import.meta.url)('ali-oss/lib/common/utils/createRequest.js') as {
  createRequest: (this: OSS, params: Record<string, unknown>) => { url: string; params: { headers: Record<string, string> } };
};

const cases: { name: string; method: string; key: string; headers: Record<string, string>; query: Record<string, string> }[] = [
  { name: 'PutObject with type, metadata and forbid-overwrite', method: 'PUT', key: 'media/2026/12/03/t1/0.mp4', headers: { 'Content-Type': 'video/mp4', 'x-oss-meta-sha256': 'ab12', 'x-oss-forbid-overwrite': 'true', 'Content-MD5': '1B2M2Y8AsgTpgAmY7PhCfg==' }, query: {} },
  { name: 'UploadPart', method: 'PUT', key: 'tmp/staging/4f1c', headers: { 'Content-MD5': 'XrY7u+Ae7tCTyyK7j1rNww==' }, query: { partNumber: '3', uploadId: '0004B9894A22E5B1888A1E29F823' } },
  { name: 'InitiateMultipartUpload (a value-less parameter)', method: 'POST', key: 'a b/ü+c!(x).bin', headers: { 'Content-Type': 'application/octet-stream' }, query: { uploads: '' } },
  { name: 'CopyObject', method: 'PUT', key: 'results/manifests/t.json', headers: { 'x-oss-copy-source': '/test-bucket/tmp%2Fstaging%2Fx', 'x-oss-metadata-directive': 'REPLACE', 'Content-Type': 'application/json' }, query: {} },
  { name: 'PutBucketLifecycle (a bucket operation)', method: 'PUT', key: '', headers: { 'Content-Type': 'application/xml', 'Content-MD5': 'abc=' }, query: { lifecycle: '' } },
];

describe('V4 signing, compared with ali-oss', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'], now: AT }));
  afterEach(() => vi.useRealTimers());

  for (const creds of [PLAIN, STS]) {
    const label = creds === STS ? 'with an STS token' : 'with a plain key';
    it.each(cases)(`signs $name like ali-oss, ${label}`, ({ method, key, headers, query }) => {
      const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
      const signed = { 'x-oss-date': v4Date(AT), 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', ...(creds.securityToken ? { 'x-oss-security-token': creds.securityToken } : {}), ...lower };
      const queries = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v === '' ? null : v]));
      const theirs = sdk(creds).authorizationV4(method, { headers: signed, queries }, BUCKET, key || undefined);
      expect(authorizationV4(creds, 'cn-hangzhou', { method, bucket: BUCKET, key, headers: signed, query })).toBe(theirs);
    });

    it.each(cases.filter((c) => c.key))(`sends the headers and Authorization ali-oss would for $name, ${label}`, ({ method, key, headers, query }) => {
      const body = method === 'PUT' && !('x-oss-copy-source' in headers) ? Buffer.from('part body') : undefined;
      const sdkHeaders = { ...headers };
      // ali-oss computes Content-MD5 itself when given a body (as we do); without one it sends what it was given
      if (body) delete sdkHeaders['Content-MD5'];
      // ali-oss guesses a Content-Type from the key when none is given; give it ours so both sign the same
      const theirs = createRequest.call(sdk(creds), { method, bucket: BUCKET, object: key, headers: { 'Content-Type': 'application/octet-stream', ...sdkHeaders }, subres: query, ...(body ? { content: body } : {}) });
      const mine = ours(creds).signedHeaders({ method, key, headers: { 'Content-Type': 'application/octet-stream', ...sdkHeaders }, query, ...(body ? { body } : {}) });
      const lowerTheirs = Object.fromEntries(Object.entries(theirs.params.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
      expect(lowerTheirs.authorization).toMatch(/^OSS4-HMAC-SHA256 Credential=/);
      expect(lowerTheirs['x-oss-security-token']).toBe(creds.securityToken);
      for (const name of ['x-oss-date', 'x-oss-content-sha256', 'x-oss-security-token', 'content-type', 'content-md5', 'authorization']) expect(mine[name], name).toBe(lowerTheirs[name]);
    });

    it(`presigns the same GET URL as signatureUrlV4, virtual-hosted, ${label}`, async () => {
      for (const key of ['media/2026/12/03/t1/0.mp4', 'a b/ü+c(1).png']) {
        const theirs = await sdk(creds).signatureUrlV4('GET', 3600, { headers: {}, queries: {} }, key);
        expect(ours(creds).signUrl('GET', key, 3600)).toBe(theirs);
      }
    });

    it(`presigns the same GET URL as signatureUrlV4, path-style on an IP endpoint, ${label}`, async () => {
      const theirs = await sdk(creds, 'http://127.0.0.1:9000', true).signatureUrlV4('GET', 60, { headers: {}, queries: {} }, 'u/p.png');
      expect(ours(creds, 'http://127.0.0.1:9000').signUrl('GET', 'u/p.png', 60)).toBe(theirs);
      expect(theirs.startsWith('http://127.0.0.1:9000/test-bucket/u/p.png?')).toBe(true);
    });
  }

  it('canonicalises the query as OSS does: encoded, sorted by name, bare names without =', () => {
    expect(canonicalQuery({ uploadId: 'a/b', partNumber: '2', uploads: '', 'x-oss-process': "image/resize,w_1!'" })).toBe('partNumber=2&uploadId=a%2Fb&uploads&x-oss-process=image%2Fresize%2Cw_1%21%27');
  });

  it('refuses to sign a request without x-oss-date', () => {
    expect(() => authorizationV4(PLAIN, 'cn-hangzhou', { method: 'GET', bucket: BUCKET, key: 'k', headers: {}, query: {} })).toThrow(/x-oss-date/);
  });
});
