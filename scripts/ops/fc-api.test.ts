// The FC API client's failures as the operator reads them: a gateway's HTML error page, an error body without
// a code, and no answer at all each become one FcApiError line naming the call.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FcApi, FcApiError, fcEndpoint } from './fc-api.ts';

const KEY = { accessKeyId: 'LTAIfcapitest0000001', accessKeySecret: 'fc-api-test-secret' };
let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function answering(status: number, contentType: string, body: string): Promise<FcApi> {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status, { 'content-type': contentType }).end(body));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return new FcApi({ endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`, protocol: 'http', credentials: KEY });
}

async function failure(p: Promise<unknown>): Promise<FcApiError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(FcApiError);
  return e as FcApiError;
}

describe('FC API client failures', () => {
  it('reports an error page that is not JSON', async () => {
    const api = await answering(502, 'text/html', '<html>Bad Gateway</html>');
    expect((await failure(api.listTriggers('fn'))).message).toBe('FC ListTriggers fn: FC answered with an error that is not JSON');
  });

  it('reports an error body without code or request id by its status', async () => {
    const api = await answering(500, 'application/json', '{"Message":"busy"}');
    const e = await failure(api.invoke('fn', Buffer.from('{}'), 5_000));
    expect(e.message).toBe('FC InvokeFunction fn: 500: busy');
    expect(e.details).toEqual({ status: 500 });
  });

  it('reports an endpoint that does not answer, naming the call', async () => {
    const api = new FcApi({ endpoint: '127.0.0.1:1', protocol: 'http', credentials: KEY });
    expect((await failure(api.invoke('fn', Buffer.from('{}'), 5_000))).message).toMatch(/^FC InvokeFunction fn: .*ECONNREFUSED/);
  });

  it('takes FC_ENDPOINT apart into the host and protocol the SDK wants', () => {
    expect(fcEndpoint('http://127.0.0.1:9300')).toEqual({ endpoint: '127.0.0.1:9300', protocol: 'http' });
    expect(fcEndpoint('https://1234.cn-beijing.fc.aliyuncs.com/')).toEqual({ endpoint: '1234.cn-beijing.fc.aliyuncs.com', protocol: 'https' });
  });
});
