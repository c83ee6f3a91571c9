import { afterEach, describe, expect, it } from 'vitest';
import type { Deps } from '../deps/deps.ts';
import { resetDeps, setDeps } from '../deps/get-deps.ts';
import { eventEntry } from './event-entry.ts';
import { FcCredentials } from './fc-credentials.ts';

afterEach(() => resetDeps());

describe('eventEntry', () => {
  it('hands the credentials each invocation brings to the deps, the newest winning', async () => {
    const credentials = new FcCredentials({});
    setDeps({ config: {}, credentials } as Deps);
    const handler = eventEntry(() => async () => credentials.current().accessKeyId);
    expect(await handler(Buffer.from(''), { requestId: 'a', credentials: { accessKeyId: 'STS.a', accessKeySecret: 's', securityToken: 't' } })).toBe('STS.a');
    expect(await handler(Buffer.from(''), { requestId: 'b', credentials: { accessKeyId: 'STS.b', accessKeySecret: 's', securityToken: 't' } })).toBe('STS.b');
    // an invocation without credentials leaves the last ones in place
    expect(await handler(Buffer.from(''), { requestId: 'c' })).toBe('STS.b');
  });

  it('builds the handler once, from the process deps, and serves every invocation with it', async () => {
    const deps = { config: {} } as Deps;
    setDeps(deps);
    const builtWith: Deps[] = [];
    const handler = eventEntry((d) => {
      builtWith.push(d);
      let calls = 0;
      return async (event) => `${event.toString()}#${++calls}`;
    });
    const ctx = { requestId: 'r' };
    expect(await handler(Buffer.from('a'), ctx)).toBe('a#1');
    expect(await handler(Buffer.from('b'), ctx)).toBe('b#2');
    expect(await handler(Buffer.from('c'), ctx)).toBe('c#3');
    expect(builtWith).toEqual([deps]);
  });
});
