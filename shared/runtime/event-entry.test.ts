import { afterEach, describe, expect, it } from 'vitest';
import type { Deps } from '../deps/deps.ts';
import { resetDeps, setDeps } from '../deps/get-deps.ts';
import { eventEntry } from './event-entry.ts';

afterEach(() => resetDeps());

describe('eventEntry', () => {
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
