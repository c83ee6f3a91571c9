// Who may call the HTTP functions: every request but /healthz presents a client key as `Authorization: Bearer
// <key>` (CLIENT_API_KEYS or a key of the store) and acts for its tenant, or is answered 401. With no key
// anywhere, local mode is open (the tenant `local`); cloud mode answers 401 unless ALLOW_ANONYMOUS=true.
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import type { Principal } from '../domain/tenant.ts';
import type { KeyStore } from '../ports/key-store.ts';
import { createAuthenticator, type Authenticate } from '../use-cases/tenants/authenticate.ts';
import { HttpError } from './errors.ts';

/** Who the request acts for; throws the 401 HttpError when it does not carry a valid key where one is needed. */
export type ClientAuth = (req: IncomingMessage) => Principal | Promise<Principal>;

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const challenge = { 'www-authenticate': 'Bearer' };
// an unknown key and a revoked one get the same answer: no oracle of which keys exist
const missing = () => new HttpError(401, 'missing_api_key', 'this endpoint needs an API key: send it as Authorization: Bearer <key>', { headers: challenge });
const invalid = (message = 'the API key is not valid') => new HttpError(401, 'invalid_api_key', message, { headers: challenge });

/** The HTTP side of an Authenticate: reads the bearer key (never logged or echoed) and answers 401 on a refusal. */
export function createClientAuth(authenticate: Authenticate): ClientAuth {
  return async (req) => {
    const header = req.headers.authorization;
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    // a malformed header is a key that matches nothing: refused wherever a key is checked, let by where none is
    const outcome = await authenticate(header === undefined ? undefined : (token ?? ''));
    if ('principal' in outcome) return outcome.principal;
    if (outcome.refused === 'missing') throw missing();
    throw header !== undefined && token === undefined ? invalid('the Authorization header must be Bearer <key>') : invalid();
  };
}

/** The line a function logs at start when it runs on Function Compute serving requests without a key. */
export const ANONYMOUS_ACCESS_WARNING =
  "ALLOW_ANONYMOUS is true: requests without a key are served as the tenant 'anonymous'; anyone who can reach this function can use it, and the DashScope key behind it";

/** What an HTTP function's key check needs of the process's Deps. */
export interface ClientAuthDeps {
  config: Pick<Config, 'mode' | 'CLIENT_API_KEYS' | 'CLIENT_KEY_CACHE_MS' | 'ALLOW_ANONYMOUS'>;
  keys: KeyStore;
  clientKeySecret: () => string;
}

/** An HTTP function's check, made once at its start; warns there when it runs in the cloud open to anonymous calls. */
export function clientAuthFor(deps: ClientAuthDeps, log: Pick<Logger, 'warn'>): ClientAuth {
  const { config } = deps;
  // an anonymous HTTP trigger spends the DashScope key of whoever deployed it for anyone who finds the URL
  if (config.mode === 'cloud' && config.ALLOW_ANONYMOUS) log.warn(ANONYMOUS_ACCESS_WARNING);
  return createClientAuth(
    createAuthenticator(
      { keys: deps.keys, clientKeySecret: deps.clientKeySecret },
      { mode: config.mode, configured: config.CLIENT_API_KEYS ?? [], allowAnonymous: config.ALLOW_ANONYMOUS, cacheMs: config.CLIENT_KEY_CACHE_MS },
    ),
  );
}
