// Who may call the HTTP functions: with CLIENT_API_KEYS set, every request but /healthz needs one of them
// as `Authorization: Bearer <key>` or is answered 401; unset, nothing is checked (the local quick start).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import { LOCAL_OPEN_TENANT, type Principal } from '../domain/tenant.ts';
import { HttpError } from './errors.ts';

/**
 * Who the request acts for; throws the 401 HttpError when it does not carry a valid key. With no key
 * configured at all, every request acts for the open local tenant.
 */
export type ClientAuth = (req: IncomingMessage) => Principal | Promise<Principal>;

const OPEN: Principal = Object.freeze({ tenant: LOCAL_OPEN_TENANT, role: 'admin', limits: {}, budgets: {} }) as Principal;

// keys are compared as SHA-256 digests in constant time, and never logged or echoed
const digest = (key: string) => createHash('sha256').update(key, 'utf8').digest();
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const challenge = { 'www-authenticate': 'Bearer' };

export function createClientAuth(keys: readonly string[] | undefined): ClientAuth {
  if (!keys?.length) return () => OPEN;
  const digests = keys.map(digest);
  const principals: Principal[] = keys.map((_, i) => ({ tenant: `key-${i + 1}`, role: 'app', limits: {}, budgets: {} }));
  return (req) => {
    const header = req.headers.authorization;
    if (!header) throw new HttpError(401, 'missing_api_key', 'this endpoint needs an API key: send it as Authorization: Bearer <key>', { headers: challenge });
    const token = BEARER.exec(header)?.[1];
    if (!token) throw new HttpError(401, 'invalid_api_key', 'the Authorization header must be Bearer <key>', { headers: challenge });
    const presented = digest(token);
    let found = -1;
    // every configured key is compared, so the time taken does not say which one (if any) came close
    for (let i = 0; i < digests.length; i++) if (timingSafeEqual(presented, digests[i]!) && found === -1) found = i;
    if (found !== -1) return principals[found]!;
    throw new HttpError(401, 'invalid_api_key', 'the API key is not valid', { headers: challenge });
  };
}

/** The line a function logs at start when it runs on Function Compute without CLIENT_API_KEYS. */
export const OPEN_ACCESS_WARNING = 'CLIENT_API_KEYS is not set: anyone who can reach this function can use it, and the DashScope key behind it';

/** An HTTP function's check, made once at its start; warns there when it runs in the cloud open to anyone. */
export function clientAuthFor(config: Pick<Config, 'CLIENT_API_KEYS' | 'mode'>, log: Pick<Logger, 'warn'>): ClientAuth {
  // an anonymous HTTP trigger spends the DashScope key of whoever deployed it for anyone who finds the URL
  if (config.mode === 'cloud' && !config.CLIENT_API_KEYS) log.warn(OPEN_ACCESS_WARNING);
  return createClientAuth(config.CLIENT_API_KEYS);
}
