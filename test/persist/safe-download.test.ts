import { afterEach, describe, expect, it } from 'vitest';
import { parseAllowlist } from '../../shared/adapters/result-download/host-allowlist.ts';
import { HttpResultSource } from '../../shared/adapters/result-download/http-result-source.ts';
import type { DownloadOptions, ResolvedAddress } from '../../shared/adapters/result-download/safe-download.ts';
import type { DownloadError } from '../../shared/ports/result-source.ts';
import { startOriginServer, type OriginServer } from './origin-server.ts';

const servers: OriginServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(handler: Parameters<typeof startOriginServer>[0], host?: string): Promise<OriginServer> {
  const s = await startOriginServer(handler, host);
  servers.push(s);
  return s;
}

const okServer = () =>
  server((_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end('payload');
  });

/** A resolver that answers from a table and counts its calls (never touches real DNS). */
function fakeResolver(table: Record<string, string>) {
  const calls: string[] = [];
  const resolve = async (host: string): Promise<ResolvedAddress[]> => {
    calls.push(host);
    const address = table[host];
    if (!address) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  };
  return { resolve, calls };
}

function options(entries: string[], extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return { allowlist: parseAllowlist(entries), maxBytes: 1_000_000, timeoutMs: 5_000, ...extra };
}

async function read(url: string, opts: DownloadOptions): Promise<string> {
  const dl = await new HttpResultSource(opts).open(url);
  try {
    const parts: Buffer[] = [];
    for await (const c of dl.body) parts.push(c as Buffer);
    return Buffer.concat(parts).toString();
  } finally {
    dl.discard();
  }
}

const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as DownloadError);

describe('HttpResultSource: who may be contacted', () => {
  it('streams from an exactly allowlisted origin over plain http', async () => {
    const s = await okServer();
    expect(await read(`${s.origin}/results/a.png`, options([s.origin]))).toBe('payload');
    expect(s.requests).toEqual(['/results/a.png']);
  });

  it('connects to the address it checked, with no second lookup (the name does not exist in real DNS)', async () => {
    const s = await okServer();
    const { resolve, calls } = fakeResolver({ 'results.emulator.test': '127.0.0.1' });
    const origin = `http://results.emulator.test:${s.port}`;
    expect(await read(`${origin}/x`, options([origin], { resolve }))).toBe('payload');
    expect(calls).toEqual(['results.emulator.test']);
    expect(s.requests).toEqual(['/x']);
  });

  it.each([
    ['loopback', '127.0.0.1'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
    ['hex IPv4-mapped loopback', '::ffff:7f00:1'],
  ])('refuses an allowlisted name that resolves to %s, without contacting the server behind it', async (_name, address) => {
    const s = await okServer();
    const { resolve } = fakeResolver({ 'evil.oss-cn-beijing.aliyuncs.com': address });
    // Even over https the check happens before any connection; the server would be reachable on this port.
    const err = await refusal(read(`https://evil.oss-cn-beijing.aliyuncs.com:${s.port}/x`, options(['*.aliyuncs.com'], { resolve })));
    expect(err).toMatchObject({ kind: 'refused', code: 'ForbiddenAddress' });
    expect(s.connections).toBe(0);
  });

  it.each([
    ['10.1.2.3', 'private'],
    ['192.168.0.10', 'private'],
    ['169.254.169.254', 'link-local'],
    ['::1', 'loopback'],
    ['fd00::5', 'unique local'],
  ])('refuses an allowlisted name that resolves to %s (%s)', async (address, why) => {
    const { resolve } = fakeResolver({ 'x.oss-cn-beijing.aliyuncs.com': address });
    const err = await refusal(read('https://x.oss-cn-beijing.aliyuncs.com/a.png', options(['*.aliyuncs.com'], { resolve })));
    expect(err).toMatchObject({ kind: 'refused', code: 'ForbiddenAddress' });
    expect(err?.message).toContain(why);
  });

  it('refuses a name when any of its addresses is forbidden', async () => {
    const resolve = async (): Promise<ResolvedAddress[]> => [
      { address: '47.95.1.1', family: 4 },
      { address: '10.0.0.1', family: 4 },
    ];
    const err = await refusal(read('https://x.aliyuncs.com/a', options(['*.aliyuncs.com'], { resolve })));
    expect(err).toMatchObject({ code: 'ForbiddenAddress' });
  });

  it('refuses an IP-literal URL that is allowlisted by host, since the address itself is checked', async () => {
    const err = await refusal(read('https://169.254.169.254/latest/meta-data', options(['169.254.169.254'])));
    expect(err).toMatchObject({ kind: 'refused', code: 'ForbiddenAddress' });
  });

  it('refuses a host that is not allowlisted, without resolving or contacting it', async () => {
    const s = await okServer();
    const { resolve, calls } = fakeResolver({});
    const err = await refusal(read(`${s.origin}/x`, options(['*.aliyuncs.com'], { resolve })));
    expect(err).toMatchObject({ kind: 'refused', code: 'NotAllowlisted' });
    expect(calls).toEqual([]);
    expect(s.connections).toBe(0);
  });

  it('refuses plain http to an allowlisted host pattern, without contacting it', async () => {
    const s = await okServer();
    const { resolve, calls } = fakeResolver({ 'x.oss-cn-beijing.aliyuncs.com': '127.0.0.1' });
    const err = await refusal(read(`http://x.oss-cn-beijing.aliyuncs.com:${s.port}/a`, options(['*.aliyuncs.com'], { resolve })));
    expect(err).toMatchObject({ kind: 'refused', code: 'InsecureScheme' });
    expect(calls).toEqual([]);
    expect(s.connections).toBe(0);
  });

  it('refuses URLs with credentials or other schemes', async () => {
    expect(await refusal(read('https://user:pw@x.aliyuncs.com/a', options(['*.aliyuncs.com'])))).toMatchObject({ code: 'BadUrl' });
    expect(await refusal(read('file:///etc/passwd', options(['*.aliyuncs.com'])))).toMatchObject({ code: 'InsecureScheme' });
  });
});

describe('HttpResultSource: redirects', () => {
  it('refuses a redirect off the allowlist without contacting the target', async () => {
    const target = await okServer();
    const s = await server((_req, res) => {
      res.writeHead(302, { location: `${target.origin}/secret` });
      res.end();
    });
    const err = await refusal(read(`${s.origin}/a`, options([s.origin])));
    expect(err).toMatchObject({ kind: 'refused', code: 'RedirectRefused' });
    expect(err?.message).toContain('not on the result host allowlist');
    expect(target.connections).toBe(0);
  });

  it('refuses a redirect to the metadata address', async () => {
    const s = await server((_req, res) => {
      res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
    });
    expect(await refusal(read(`${s.origin}/a`, options([s.origin, '*.aliyuncs.com'])))).toMatchObject({ code: 'RedirectRefused' });
  });

  it('follows a relative redirect and one to another allowlisted origin', async () => {
    const target = await okServer();
    const s = await server((req, res) => {
      if (req.url === '/a') res.writeHead(301, { location: '/b' });
      else res.writeHead(302, { location: `${target.origin}/final` });
      res.end();
    });
    expect(await read(`${s.origin}/a`, options([s.origin, target.origin]))).toBe('payload');
    expect(s.requests).toEqual(['/a', '/b']);
    expect(target.requests).toEqual(['/final']);
  });

  it('stops after the redirect limit', async () => {
    const s = await server((req, res) => {
      res.writeHead(302, { location: `/r${req.url?.length ?? 0}` });
      res.end();
    });
    expect(await refusal(read(`${s.origin}/a`, options([s.origin], { maxRedirects: 2 })))).toMatchObject({ kind: 'refused', code: 'TooManyRedirects' });
    expect(s.requests).toHaveLength(3);
  });
});

describe('HttpResultSource: answers', () => {
  it('refuses a declared Content-Length over the cap before reading the body', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-length': '5000' });
      res.end(Buffer.alloc(5000));
    });
    expect(await refusal(read(`${s.origin}/big`, options([s.origin], { maxBytes: 4096 })))).toMatchObject({ kind: 'refused', code: 'TooLarge' });
  });

  it('classifies 5xx and 429 as transient, other statuses as for the caller to judge, with the source date', async () => {
    const s = await server((req, res) => {
      res.writeHead(req.url === '/busy' ? 503 : req.url === '/slow' ? 429 : 403, { date: 'Tue, 01 Jan 2030 00:00:00 GMT' });
      res.end('no');
    });
    expect(await refusal(read(`${s.origin}/busy`, options([s.origin])))).toMatchObject({ kind: 'transient', code: 'SourceUnavailable', status: 503 });
    expect(await refusal(read(`${s.origin}/slow`, options([s.origin])))).toMatchObject({ kind: 'transient', status: 429 });
    const forbidden = await refusal(read(`${s.origin}/gone`, options([s.origin])));
    expect(forbidden).toMatchObject({ kind: 'status', code: 'SourceStatus', status: 403 });
    expect(forbidden?.sourceDate?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it('times out a source that never answers', async () => {
    const s = await server(() => {
      // never answers
    });
    expect(await refusal(read(`${s.origin}/hang`, options([s.origin], { timeoutMs: 300 })))).toMatchObject({ kind: 'transient', code: 'Timeout' });
  });

  it('reports an unresolvable name as transient', async () => {
    const { resolve } = fakeResolver({});
    expect(await refusal(read('https://nowhere.aliyuncs.com/a', options(['*.aliyuncs.com'], { resolve })))).toMatchObject({ kind: 'transient', code: 'DnsFailed' });
  });
});
