// Who a presented client key acts for: CLIENT_API_KEYS first, then the key store by digest, remembered per
// process for a short while (found and absent alike) so a request costs at most one store call and a revocation
// takes effect within CLIENT_KEY_CACHE_MS. Without any key at all, local mode is open; cloud mode is not.
import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../../config/config.ts';
import { ANONYMOUS_TENANT, appPrincipal, LOCAL_OPEN_TENANT, type Principal } from '../../domain/tenant.ts';
import type { KeyStore, StoredKey } from '../../ports/key-store.ts';
import { clientKeyDigest, principalOfKey, sameDigest } from './client-keys.ts';

/** A key from CLIENT_API_KEYS, named by the tenant it acts for. */
export interface ConfiguredClientKey {
  name: string;
  key: string;
}

export interface AuthenticateSettings {
  mode: 'local' | 'cloud';
  /** CLIENT_API_KEYS; empty or absent: none. */
  configured?: readonly ConfiguredClientKey[];
  /** ALLOW_ANONYMOUS: a request without a key acts as the anonymous tenant where a key would be needed. */
  allowAnonymous: boolean;
  /** CLIENT_KEY_CACHE_MS: how long an answer of the store is trusted; 0: never. */
  cacheMs: number;
  /** Most digests remembered at once (default 1,000); the oldest is forgotten first. */
  maxCached?: number;
}

export interface AuthenticateDeps {
  keys: KeyStore;
  /** The server secret; throws (a ConfigError naming CLIENT_KEY_SECRET) when it cannot be had. */
  clientKeySecret: () => string;
  /** Milliseconds, for the cache (default performance.now). */
  now?: () => number;
}

/** A principal, or why the request is refused: no key where one is needed, or a key that is not valid. */
export type AuthOutcome = { principal: Principal } | { refused: 'missing' | 'invalid' };

/** `token`: the key the request presented (undefined: none; a malformed header is a key that matches nothing). */
export type Authenticate = (token: string | undefined) => Promise<AuthOutcome>;

export const OPEN_PRINCIPAL: Principal = Object.freeze({ tenant: LOCAL_OPEN_TENANT, role: 'admin', limits: {}, budgets: {} }) as Principal;
export const ANONYMOUS_PRINCIPAL: Principal = Object.freeze(appPrincipal(ANONYMOUS_TENANT));

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export function createAuthenticator(deps: AuthenticateDeps, settings: AuthenticateSettings): Authenticate {
  const now = deps.now ?? (() => performance.now());
  const configured = settings.configured ?? [];
  const configuredDigests = configured.map((c) => sha256(c.key));
  const configuredPrincipals: Principal[] = configured.map((c, i) => ({ ...appPrincipal(c.name), keyId: `env-${i + 1}` }));
  const maxCached = settings.maxCached ?? 1_000;
  // local mode with no CLIENT_API_KEYS is open while the store is empty: there one list() answers both whether
  // it is empty and which key a digest is, so a request still costs one store call at most
  const openWhenEmpty = settings.mode === 'local' && configured.length === 0;

  const fromConfig = (token: string): Principal | undefined => {
    if (configuredDigests.length === 0) return undefined;
    const presented = sha256(token);
    let found = -1;
    // every configured key is compared, so the time taken does not say which one (if any) came close
    for (let i = 0; i < configuredDigests.length; i++) if (timingSafeEqual(presented, configuredDigests[i]!) && found === -1) found = i;
    return found === -1 ? undefined : configuredPrincipals[found];
  };

  let snapshot: { at: number; byHash: Map<string, StoredKey> } | undefined;
  const allKeys = async (): Promise<Map<string, StoredKey>> => {
    if (snapshot && settings.cacheMs > 0 && now() - snapshot.at < settings.cacheMs) return snapshot.byHash;
    const byHash = new Map((await deps.keys.list()).map((k) => [k.hash, k]));
    snapshot = { at: now(), byHash };
    return byHash;
  };

  const cache = new Map<string, { at: number; key: StoredKey | undefined }>();
  const byDigest = async (digest: string): Promise<StoredKey | undefined> => {
    const hit = cache.get(digest);
    if (hit && now() - hit.at < settings.cacheMs) return hit.key;
    const key = await deps.keys.findByHash(digest);
    if (settings.cacheMs > 0) {
      cache.delete(digest);
      if (cache.size >= maxCached) cache.delete(cache.keys().next().value!);
      cache.set(digest, { at: now(), key });
    }
    return key;
  };

  const principalOf = (key: StoredKey | undefined, digest: string): AuthOutcome =>
    key && !key.revoked && sameDigest(key.hash, digest) ? { principal: principalOfKey(key) } : { refused: 'invalid' };

  return async (token) => {
    if (token === undefined) {
      if (openWhenEmpty && (await allKeys()).size === 0) return { principal: OPEN_PRINCIPAL };
      return settings.allowAnonymous ? { principal: ANONYMOUS_PRINCIPAL } : { refused: 'missing' };
    }
    const env = fromConfig(token);
    if (env) return { principal: env };
    if (openWhenEmpty) {
      const keys = await allKeys();
      if (keys.size === 0) return { principal: OPEN_PRINCIPAL };
      const digest = clientKeyDigest(deps.clientKeySecret(), token);
      return principalOf(keys.get(digest), digest);
    }
    let secret: string;
    try {
      secret = deps.clientKeySecret();
    } catch (e) {
      // without the secret the store's keys cannot be checked: where CLIENT_API_KEYS are the keys, a key that is
      // none of them is just not valid; with no key configured at all, the ConfigError says what to set
      if (e instanceof ConfigError && configured.length > 0) return { refused: 'invalid' };
      throw e;
    }
    const digest = clientKeyDigest(secret, token);
    return principalOf(await byDigest(digest), digest);
  };
}
