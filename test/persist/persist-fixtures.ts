// Fixtures for persistResult over the real downloader: result bodies, small origin servers serving them
// (closed by closeMediaServers), a resolver that answers from a table, and manifest outputs.
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ResolvedAddress } from '../../shared/adapters/result-download/safe-download.ts';
import type { ManifestOutput } from '../../shared/domain/manifest.ts';
import { startOriginServer, type OriginServer } from './origin-server.ts';

export const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(3000)]);
export const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2000)]);
export const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const later = () => new Date(Date.now() + 24 * 3600_000).toISOString();

const servers: OriginServer[] = [];
export async function closeMediaServers(): Promise<void> {
  await Promise.all(servers.splice(0).map((s) => s.close()));
}

export async function media(routes: Record<string, Buffer | ((res: ServerResponse) => void)>): Promise<OriginServer> {
  const s = await startOriginServer((req, res) => {
    const route = routes[(req.url ?? '').split('?')[0] ?? ''];
    if (!route) return void res.writeHead(404).end();
    // The declared type is deliberately wrong: the bytes decide.
    if (Buffer.isBuffer(route)) res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': route.length }).end(route);
    else route(res);
  });
  servers.push(s);
  return s;
}

export const resolver = (table: Record<string, string>) => async (host: string): Promise<ResolvedAddress[]> => {
  const address = table[host];
  if (!address) throw new Error(`ENOTFOUND ${host}`);
  return [{ address, family: address.includes(':') ? 6 : 4 }];
};

export const url = (index: number, u: string, expiresAt = later()): ManifestOutput => ({ index, url: u, expiresAt, kind: 'image' });
