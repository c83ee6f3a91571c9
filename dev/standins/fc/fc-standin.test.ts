// The FC API stand-in through the real FC 3.0 SDK: signed calls are served in FC's shapes, and a wrong key,
// secret, token or a body that is not the signed one is refused before any function runs.
import type { IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { FcApi, FcApiError } from '../../../scripts/ops/fc-api.ts';
import { acs3Signature, canonicalRequest, sha256Hex } from './acs3-signature.ts';
import { FC_STANDIN_ACCESS_KEY, startFcStandin, type FcStandin, type FcStandinOptions, type InvokeResult } from './fc-standin.ts';

const STS = { accessKeyId: 'STS.fcstandin-test', accessKeySecret: 'fc-standin-sts-secret', securityToken: 'fc-standin-sts-token' };
const calls: { fn: string; body: string; headers: IncomingHttpHeaders }[] = [];
let standin: FcStandin | undefined;

afterEach(async () => {
  await standin?.close();
  standin = undefined;
  calls.length = 0;
});

async function start(answer: (fn: string, body: string) => Promise<InvokeResult> = async (_fn, body) => ({ status: 200, body: `echo:${body}` }), more: Partial<FcStandinOptions> = {}) {
  standin = await startFcStandin({
    functions: {
      'app-web': [
        { triggerName: 'http', triggerType: 'http', httpTrigger: { urlInternet: 'https://app-web.fcapp.run', urlIntranet: 'https://app-web.cn-beijing-vpc.fcapp.run' } },
        { triggerName: 'inbox', triggerType: 'oss' },
      ],
      'app-poll': [{ triggerName: 'every-minute', triggerType: 'timer' }],
    },
    invoke: async (fn, body, headers) => {
      calls.push({ fn, body: body.toString('utf8'), headers });
      return answer(fn, body.toString('utf8'));
    },
    credentials: [FC_STANDIN_ACCESS_KEY, STS],
    ...more,
  });
  return standin;
}

const api = (s: FcStandin, credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string } = FC_STANDIN_ACCESS_KEY) =>
  new FcApi({ endpoint: s.endpoint, protocol: 'http', credentials });

async function refusal(p: Promise<unknown>): Promise<FcApiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FcApiError);
  return e as FcApiError;
}

describe('FC API stand-in', () => {
  it('runs a synchronous invocation with the body as sent and returns the answer', async () => {
    const s = await start();
    const r = await api(s).invoke('app-poll', Buffer.from('{"triggerName":"every-minute"}'), 10_000);
    expect(r.body.toString('utf8')).toBe('echo:{"triggerName":"every-minute"}');
    expect(r.requestId).toMatch(/^1-/);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ fn: 'app-poll', body: '{"triggerName":"every-minute"}' });
    expect(calls[0]!.headers['x-fc-invocation-type']).toBe('Sync');
  });

  it('accepts STS credentials with their token', async () => {
    const s = await start();
    expect((await api(s, STS).invoke('app-poll', Buffer.from('x'), 10_000)).body.toString('utf8')).toBe('echo:x');
  });

  it('reports a function error as FC does (200 and x-fc-error-type), which the client turns into an error', async () => {
    const s = await start(async () => {
      throw new TypeError('no due tasks table');
    });
    const e = await refusal(api(s).invoke('app-poll', Buffer.from('{}'), 10_000));
    expect(e.details).toMatchObject({ status: 200, errorType: 'UnhandledInvocationError' });
    expect(e.message).toContain('app-poll failed (UnhandledInvocationError): TypeError: no due tasks table');
  });

  it('answers an unknown function 404 FunctionNotFound in FC 3.0 error shape', async () => {
    const s = await start();
    const e = await refusal(api(s).invoke('app-missing', Buffer.from('{}'), 10_000));
    expect(e.details).toMatchObject({ status: 404, code: 'FunctionNotFound' });
    expect(e.message).toMatch(/^FC InvokeFunction app-missing: 404 FunctionNotFound: function 'app-missing' does not exist \(request id 1-/);
    expect(calls).toEqual([]);
  });

  it('lists triggers with the http trigger URLs, and gets one by name', async () => {
    const s = await start();
    const listed = await api(s).listTriggers('app-web');
    expect(listed).toEqual([
      { triggerName: 'http', triggerType: 'http', httpTrigger: { urlInternet: 'https://app-web.fcapp.run', urlIntranet: 'https://app-web.cn-beijing-vpc.fcapp.run' } },
      { triggerName: 'inbox', triggerType: 'oss' },
    ]);
    expect(await api(s).getTrigger('app-web', 'inbox')).toEqual({ triggerName: 'inbox', triggerType: 'oss' });
    const e = await refusal(api(s).getTrigger('app-web', 'nope'));
    expect(e.details).toMatchObject({ status: 404, code: 'TriggerNotFound' });
  });

  it('refuses a call signed with the wrong secret, an unknown key or a wrong STS token, and runs nothing', async () => {
    const s = await start();
    const wrongSecret = await refusal(api(s, { ...FC_STANDIN_ACCESS_KEY, accessKeySecret: 'not-the-secret' }).invoke('app-poll', Buffer.from('{}'), 10_000));
    expect(wrongSecret.details).toMatchObject({ status: 403, code: 'SignatureNotMatch' });
    const unknownKey = await refusal(api(s, { accessKeyId: 'LTAIunknown', accessKeySecret: 'x' }).listTriggers('app-web'));
    expect(unknownKey.details).toMatchObject({ status: 403, code: 'InvalidAccessKeyID' });
    const wrongToken = await refusal(api(s, { ...STS, securityToken: 'stolen' }).invoke('app-poll', Buffer.from('{}'), 10_000));
    expect(wrongToken.details).toMatchObject({ status: 403, code: 'InvalidSecurityToken' });
    expect(calls).toEqual([]);
    // the secret never shows in what the client reports
    expect(wrongSecret.message).not.toContain('not-the-secret');
  });

  /** A request signed by hand over `signedBody`, sent with `sentBody`. */
  async function handSigned(s: FcStandin, signedBody: string, sentBody: string, extra: Record<string, string> = {}) {
    const path = '/2023-03-30/functions/app-poll/invocations';
    const headers: Record<string, string> = {
      host: s.endpoint,
      'content-type': 'application/octet-stream',
      'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'x-acs-content-sha256': sha256Hex(signedBody),
      'x-acs-signature-nonce': 'n-1',
      ...extra,
    };
    const signed = Object.keys(headers).sort();
    const signature = acs3Signature(canonicalRequest('POST', path, '', headers, signed, sha256Hex(signedBody)), FC_STANDIN_ACCESS_KEY.accessKeySecret);
    const authorization = `ACS3-HMAC-SHA256 Credential=${FC_STANDIN_ACCESS_KEY.accessKeyId},SignedHeaders=${signed.join(';')},Signature=${signature}`;
    return fetch(`${s.origin}${path}`, { method: 'POST', headers: { ...headers, authorization }, body: sentBody });
  }

  it('refuses a body other than the one signed', async () => {
    const s = await start();
    const res = await handSigned(s, '{"a":1}', '{"a":2}');
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ Code: 'SignatureNotMatch', Message: 'x-acs-content-sha256 does not match the body' });
    expect(calls).toEqual([]);
  });

  it('accepts an asynchronous invocation with 202 and runs it afterwards', async () => {
    const s = await start();
    const res = await handSigned(s, '{"a":1}', '{"a":1}', { 'x-fc-invocation-type': 'Async' });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-fc-request-id')).toMatch(/^1-/);
    await s.drain();
    expect(calls.map((c) => c.body)).toEqual(['{"a":1}']);
    expect(s.requests().at(-1)).toMatchObject({ action: 'InvokeFunction', status: 202, invocationType: 'Async' });
  });

  it('refuses a stale x-acs-date', async () => {
    const s = await start(undefined, { now: () => Date.now() + 60 * 60_000 });
    const e = await refusal(api(s).invoke('app-poll', Buffer.from('{}'), 10_000));
    expect(e.details).toMatchObject({ status: 403, code: 'RequestTimeTooSkewed' });
  });
});
