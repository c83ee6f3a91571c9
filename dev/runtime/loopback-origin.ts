// A DashScope base URL on this machine (an emulator run with `npm run emulator`) serves result URLs from its
// own origin, which persist-to-oss must be allowed to download from, like the emulator npm start starts.
import { isIPv4 } from 'node:net';

/** The origin of `baseUrl` when its host is a loopback address (127.0.0.0/8, ::1, localhost), else undefined. */
export function loopbackOrigin(baseUrl: string | undefined): string | undefined {
  if (!baseUrl) return undefined;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const host = url.hostname.toLowerCase();
  const loopback = host === 'localhost' || host === '[::1]' || (isIPv4(host) && host.startsWith('127.'));
  return loopback ? url.origin : undefined;
}
