import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MemoryKeyStore } from '../../test/support/memory-key-store.ts';
import { createAuthenticator } from '../use-cases/tenants/authenticate.ts';
import { createClientAuth, type ClientAuth } from './client-auth.ts';
import { HttpError } from './errors.ts';

const KEY_A = 'key-a-0123456789abcdef';
const KEY_B = 'key-b-0123456789abcdef';
const req = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;
const SECRET = 'test-client-key-secret-0123456789abcdef';

/** The check over CLIENT_API_KEYS `keys` (as the config parses them) and an empty store. */
function authOver(keys: { name: string; key: string }[], mode: 'local' | 'cloud' = 'local'): ClientAuth {
  return createClientAuth(createAuthenticator({ keys: new MemoryKeyStore(), clientKeySecret: () => SECRET }, { mode, configured: keys, allowAnonymous: false, cacheMs: 0 }));
}

/** The HttpError the check throws, or undefined when it lets the request through. */
async function refusal(auth: ClientAuth, authorization?: string): Promise<HttpError | undefined> {
  try {
    await auth(req(authorization));
    return undefined;
  } catch (e) {
    if (e instanceof HttpError) return e;
    throw e;
  }
}

const bare = [
  { name: 'key-1', key: KEY_A },
  { name: 'key-2', key: KEY_B },
];

describe('createClientAuth', () => {
  it('checks nothing in local mode when no key is configured anywhere', async () => {
    expect(await refusal(authOver([]))).toBeUndefined();
    expect(await refusal(authOver([]), 'Bearer anything')).toBeUndefined();
    expect(await refusal(authOver([]), 'Basic anything')).toBeUndefined();
  });

  it('lets through any configured key sent as a bearer token, whatever the case of "Bearer"', async () => {
    const auth = authOver(bare);
    expect(await refusal(auth, `Bearer ${KEY_A}`)).toBeUndefined();
    expect(await refusal(auth, `bearer ${KEY_B}`)).toBeUndefined();
    expect(await refusal(auth, `BEARER  ${KEY_A} `)).toBeUndefined();
  });

  it('acts for the tenant each configured key names; no key at all in local mode is the open local admin', async () => {
    const auth = authOver([bare[0]!, { name: 'mobile', key: KEY_B }]);
    expect((await auth(req(`Bearer ${KEY_A}`))).tenant).toBe('key-1');
    expect(await auth(req(`Bearer ${KEY_B}`))).toMatchObject({ tenant: 'mobile', role: 'app' });
    expect(await authOver([])(req())).toMatchObject({ tenant: 'local', role: 'admin' });
  });

  it('answers 401 with a Bearer challenge: missing, malformed, wrong or partial keys', async () => {
    for (const auth of [authOver([bare[0]!]), authOver([], 'cloud')]) {
      const cases: [string | undefined, string][] = [
        [undefined, 'missing_api_key'],
        [KEY_A, 'invalid_api_key'],
        [`Basic ${KEY_A}`, 'invalid_api_key'],
        ['Bearer', 'invalid_api_key'],
        [`Bearer ${KEY_A} extra`, 'invalid_api_key'],
        [`Bearer ${KEY_A.slice(0, -1)}`, 'invalid_api_key'],
        [`Bearer ${KEY_A}x`, 'invalid_api_key'],
        [`Bearer ${KEY_B}`, 'invalid_api_key'],
      ];
      for (const [header, code] of cases) {
        const e = await refusal(auth, header);
        expect(e, String(header)).toBeInstanceOf(HttpError);
        expect(e!.statusCode).toBe(401);
        expect(e!.code).toBe(code);
        expect(e!.extra.headers).toEqual({ 'www-authenticate': 'Bearer' });
        expect(e!.message).not.toContain(KEY_A);
      }
    }
  });
});
