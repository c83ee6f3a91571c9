import { describe, expect, it } from 'vitest';
import { uuidIds } from '../../shared/ports/clock.ts';
import { MemoryKeyStore } from '../../test/support/memory-key-store.ts';
import { keyTable, parseCreate, runKeys, type KeysDeps } from './keys-commands.ts';

const SECRET = 'keys-command-secret-0123456789abcdef';

function harness() {
  const store = new MemoryKeyStore();
  const out: string[] = [];
  const err: string[] = [];
  const deps: KeysDeps = {
    keys: () => store,
    clientKeySecret: () => SECRET,
    where: () => '/tmp/data/local.db',
    clock: { now: () => new Date('2026-03-01T08:00:00.000Z') },
    ids: uuidIds,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  };
  return { store, out, err, run: (...argv: string[]) => runKeys(argv, deps) };
}

describe('npm run keys', () => {
  it('create --json prints exactly one line {"id","name","key"} with the key, stored only as its digest', async () => {
    const h = harness();
    expect(await h.run('create', '--name', 'acme', '--json')).toBe(0);
    expect(h.out).toHaveLength(1);
    const printed = JSON.parse(h.out[0]!) as Record<string, string>;
    expect(Object.keys(printed)).toEqual(['id', 'name', 'key']);
    expect(printed).toMatchObject({ name: 'acme', id: h.store.keys[0]!.id });
    expect(printed['key']).toMatch(/^dsfc_[A-Za-z0-9]{40}$/);
    expect(JSON.stringify(h.store.keys)).not.toContain(printed['key']);
  });

  it('create prints the key once with a warning that it is shown only now, and stores the role, limits and budgets', async () => {
    const h = harness();
    expect(await h.run('create', '--name', 'acme', '--role', 'admin', '--rpm', '60', '--tpm', '100000', '--daily-budget', '7.50', '--monthly-budget', '100')).toBe(0);
    expect(h.out.join('\n')).toMatch(/^created key key_[0-9a-f]{32} for tenant acme \(role admin\) in \/tmp\/data\/local\.db:\n {2}dsfc_[A-Za-z0-9]{40}\nThis key is shown only now/);
    expect(h.store.keys[0]).toMatchObject({ role: 'admin', limits: { rpm: 60, tpm: 100_000 }, budgets: { dailyUsd: 7.5, monthlyUsd: 100 } });
  });

  it('refuses bad flags with a clear message and exit 2, and creates nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['create'], /needs --name/],
      [['create', '--name', 'Acme'], /the name must be lower-case/],
      [['create', '--name', 'acme', '--role', 'root'], /--role is app or admin/],
      [['create', '--name', 'acme', '--rpm', '0'], /--rpm must be a whole number above 0/],
      [['create', '--name', 'acme', '--tpm', '1.5'], /--tpm must be a whole number/],
      [['create', '--name', 'acme', '--daily-budget=-3'], /--daily-budget must be an amount of USD above 0/],
      [['create', '--name', 'acme', '--daily-budget', '-3'], /--daily-budget/],
      [['create', '--name', 'acme', '--monthly-budget', 'lots'], /--monthly-budget must be an amount/],
      [['create', '--name', 'acme', '--monthly-budget', '0'], /--monthly-budget must be an amount/],
      [['create', '--name', 'acme', '--color', 'red'], /Unknown option '--color'/],
      [['create', '--name', 'acme', 'extra'], /extra/],
      [['list', '--all'], /Unknown option '--all'/],
      [['revoke'], /revoke needs the id of a key or the name of a tenant/],
      [['revoke', 'a', 'b'], /unexpected argument b/],
      [['rotate'], /unknown command rotate/],
      [[], /no command given/],
    ];
    for (const [argv, message] of cases) {
      const h = harness();
      expect(await h.run(...argv), argv.join(' ')).toBe(2);
      expect(h.err[0], argv.join(' ')).toMatch(message);
      expect(h.err.join('\n')).toContain('usage: npm run keys');
      expect(h.store.calls.create).toBe(0);
      expect(h.out).toEqual([]);
    }
  });

  it('list shows every key as a table or JSON, and never a key or its digest', async () => {
    const h = harness();
    await h.run('create', '--name', 'acme', '--json');
    await h.run('create', '--name', 'beta', '--rpm', '5');
    const key = (JSON.parse(h.out[0]!) as { key: string }).key;
    h.out.length = 0;
    expect(await h.run('list')).toBe(0);
    const table = h.out.join('\n');
    expect(h.out[0]).toMatch(/^ID +NAME +ROLE +RPM +TPM +DAILY USD +MONTHLY USD +CREATED +REVOKED$/);
    expect(h.out).toHaveLength(3);
    h.out.length = 0;
    expect(await h.run('list', '--json')).toBe(0);
    const listed = JSON.parse(h.out[0]!) as Record<string, unknown>[];
    expect(listed.map((k) => k['name']).sort()).toEqual(['acme', 'beta']);
    for (const text of [table, h.out[0]!]) {
      expect(text).not.toContain(key);
      for (const k of h.store.keys) expect(text).not.toContain(k.hash);
      expect(text).not.toMatch(/dsfc_|hash/);
    }
  });

  it('revoke prints what it revoked, by id or tenant name; exit 1 when nothing matched', async () => {
    const h = harness();
    await h.run('create', '--name', 'acme');
    await h.run('create', '--name', 'acme');
    await h.run('create', '--name', 'beta');
    h.out.length = 0;
    expect(await h.run('revoke', 'acme')).toBe(0);
    expect(h.out).toHaveLength(2);
    expect(h.out[0]).toMatch(/^revoked key_[0-9a-f]{32} \(tenant acme, role app, created 2026-03-01T08:00:00\.000Z\)$/);
    expect(await h.run('revoke', 'acme')).toBe(1);
    expect(h.err.at(-1)).toBe('keys: nothing revoked: no key in /tmp/data/local.db with the id or tenant name acme is still active');
    const beta = h.store.keys.find((k) => k.name === 'beta')!;
    expect(await h.run('revoke', beta.id)).toBe(0);
    expect(h.out.at(-1)).toContain(`revoked ${beta.id} (tenant beta`);
  });

  it('reports a store or secret failure on one line, exit 1, with no secret in it', async () => {
    const h = harness();
    const failing: KeysDeps = {
      keys: () => h.store,
      clientKeySecret: () => {
        throw new Error(`cannot use ${SECRET}`);
      },
      where: () => 'x',
      clock: { now: () => new Date() },
      ids: uuidIds,
      out: () => undefined,
      err: (l) => h.err.push(l),
      secrets: [SECRET],
    };
    expect(await runKeys(['create', '--name', 'acme'], failing)).toBe(1);
    expect(h.err).toEqual(['keys: cannot use ***']);
    expect(h.store.calls.create).toBe(0);
  });
});

describe('parseCreate and keyTable', () => {
  it('leaves limits and budgets that were not given out', () => {
    expect(parseCreate(['--name', 'a'])).toEqual({ request: { name: 'a', limits: {}, budgets: {} }, json: false });
  });

  it('pads each column to its widest cell and marks revoked keys with the time', () => {
    const lines = keyTable([{ id: 'key_1', name: 'a', role: 'app', limits: { rpm: 5 }, budgets: {}, revoked: true, createdAt: 'c', revokedAt: 'r' }]);
    expect(lines).toEqual(['ID     NAME  ROLE  RPM  TPM  DAILY USD  MONTHLY USD  CREATED  REVOKED', 'key_1  a     app   5    -    -          -            c        r']);
  });
});
