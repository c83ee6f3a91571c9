import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createClientAuth } from './client-auth.ts';
import { HttpError } from './errors.ts';

const KEY_A = 'key-a-0123456789abcdef';
const KEY_B = 'key-b-0123456789abcdef';
const req = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

/** The HttpError the check throws, or undefined when it lets the request through. */
function refusal(auth: ReturnType<typeof createClientAuth>, authorization?: string): HttpError | undefined {
  try {
    void auth(req(authorization));
    return undefined;
  } catch (e) {
    if (e instanceof HttpError) return e;
    throw e;
  }
}

describe('createClientAuth', () => {
  it('checks nothing when no key is configured', () => {
    expect(refusal(createClientAuth(undefined))).toBeUndefined();
    expect(refusal(createClientAuth([]), 'Bearer anything')).toBeUndefined();
  });

  it('lets through any configured key sent as a bearer token, whatever the case of "Bearer"', () => {
    const auth = createClientAuth([KEY_A, KEY_B]);
    expect(refusal(auth, `Bearer ${KEY_A}`)).toBeUndefined();
    expect(refusal(auth, `bearer ${KEY_B}`)).toBeUndefined();
    expect(refusal(auth, `BEARER  ${KEY_A} `)).toBeUndefined();
  });

  it('names each configured key its own tenant, key-1, key-2… in order; no key at all is the open local admin', async () => {
    const auth = createClientAuth([KEY_A, KEY_B]);
    expect((await auth(req(`Bearer ${KEY_A}`))).tenant).toBe('key-1');
    expect(await auth(req(`Bearer ${KEY_B}`))).toMatchObject({ tenant: 'key-2', role: 'app' });
    expect(await createClientAuth(undefined)(req())).toMatchObject({ tenant: 'local', role: 'admin' });
  });

  it('answers 401 with a Bearer challenge: missing, malformed, wrong or partial keys', () => {
    const auth = createClientAuth([KEY_A]);
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
      const e = refusal(auth, header);
      expect(e, String(header)).toBeInstanceOf(HttpError);
      expect(e!.statusCode).toBe(401);
      expect(e!.code).toBe(code);
      expect(e!.extra.headers).toEqual({ 'www-authenticate': 'Bearer' });
      expect(e!.message).not.toContain(KEY_A);
    }
  });
});
