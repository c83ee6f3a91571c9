// The hosts a result URL may point at: host patterns (`*.aliyuncs.com`, any depth), exact hosts, exact
// origins. Host entries admit https and public addresses only; an exact origin may use http or private ones.

export type AllowlistEntry =
  | { kind: 'suffix'; suffix: string; source: string }
  | { kind: 'host'; host: string; source: string }
  | { kind: 'origin'; origin: string; source: string };

export type HostDecision =
  | { allowed: true; trustedOrigin: boolean; entry: string }
  | { allowed: false; code: 'NotAllowlisted' | 'InsecureScheme'; reason: string };

export class AllowlistEntryError extends Error {
  override name = 'AllowlistEntryError';
}

const HOST_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Parses allowlist entries; throws AllowlistEntryError naming the first entry that is none of the three forms. */
export function parseAllowlist(entries: readonly string[]): AllowlistEntry[] {
  return entries.map((raw) => {
    const source = raw.trim();
    const lower = source.toLowerCase();
    if (/^[a-z][a-z0-9+.-]*:\/\//.test(lower)) {
      let url: URL;
      try {
        url = new URL(lower);
      } catch {
        throw new AllowlistEntryError(`allowlist entry ${JSON.stringify(source)} is not a valid origin`);
      }
      if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.pathname !== '/' || url.search || url.username) {
        throw new AllowlistEntryError(`allowlist entry ${JSON.stringify(source)} must be a bare http(s) origin`);
      }
      return { kind: 'origin', origin: url.origin, source };
    }
    if (lower.startsWith('*.') && HOST_RE.test(lower.slice(2)) && lower.slice(2).includes('.')) {
      return { kind: 'suffix', suffix: lower.slice(1), source };
    }
    if (HOST_RE.test(lower)) return { kind: 'host', host: lower, source };
    throw new AllowlistEntryError(`allowlist entry ${JSON.stringify(source)} is not a host, a *.suffix pattern or an origin`);
  });
}

/** Decides whether `url` may be fetched at all (before any address is looked at). */
export function checkHost(allowlist: readonly AllowlistEntry[], url: URL): HostDecision {
  const host = url.hostname.toLowerCase();
  const origin = url.origin.toLowerCase();
  // an exact origin is a deliberate trust decision (the local emulator): no scheme or address check
  const exact = allowlist.find((e) => e.kind === 'origin' && e.origin === origin);
  if (exact) return { allowed: true, trustedOrigin: true, entry: exact.source };
  const byHost = allowlist.find(
    (e) => (e.kind === 'host' && e.host === host) || (e.kind === 'suffix' && host.endsWith(e.suffix) && host.length > e.suffix.length),
  );
  if (!byHost) return { allowed: false, code: 'NotAllowlisted', reason: `host ${host} is not on the result host allowlist` };
  if (url.protocol !== 'https:') {
    return { allowed: false, code: 'InsecureScheme', reason: `${url.protocol.replace(':', '')} is refused for ${host}: only https (or an allowlisted origin)` };
  }
  return { allowed: true, trustedOrigin: false, entry: byHost.source };
}
