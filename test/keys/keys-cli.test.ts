// `npm run keys` as an operator runs it: a process of its own against DATA_DIR's store (the one `npm start` reads)
// or, in cloud mode, against Table Store (the stand-in here); the key it prints is the one the functions accept.
// Each command is a process of its own (about 2 s of tsx start-up on a slow machine): the tests allow a minute.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TablestoreStandin, TEST_CREDENTIALS } from '../../dev/standins/tablestore/tablestore-standin.ts';
import { TablestoreClient } from '../../shared/adapters/tablestore/tablestore-client.ts';
import { createKeyTable, TablestoreKeyStore } from '../../shared/adapters/tablestore/tablestore-key-store.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { createLocalDeps } from '../../shared/deps/local-deps.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import { createAuthenticator } from '../../shared/use-cases/tenants/authenticate.ts';
import { clientKeyDigest } from '../../shared/use-cases/tenants/client-keys.ts';

const repo = join(import.meta.dirname, '..', '..');

function keys(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/keys.ts', ...args], { cwd: repo, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('npm run keys, local mode', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'keys-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a key in DATA_DIR that the functions accept as its tenant, lists it without the key, revokes it', { timeout: 60_000 }, async () => {
    const env = { DATA_DIR: join(dir, 'data') };
    const created = await keys(['create', '--name', 'acme', '--rpm', '60', '--json'], env);
    expect(created, created.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout.endsWith('\n')).toBe(true);
    expect(created.stdout.trimEnd().split('\n')).toHaveLength(1);
    const printed = JSON.parse(created.stdout) as { id: string; name: string; key: string };
    expect(Object.keys(printed)).toEqual(['id', 'name', 'key']);
    expect(printed.key).toMatch(/^dsfc_[A-Za-z0-9]{40}$/);
    expect(statSync(join(dir, 'data', 'client-key-secret')).mode & 0o777).toBe(0o600);

    // the store and secret `npm start` opens under the same DATA_DIR
    const deps = createLocalDeps(loadConfig({ ...env, LOG_LEVEL: 'silent' }), { logger: silentLogger });
    try {
      const auth = createAuthenticator(deps, { mode: 'local', allowAnonymous: false, cacheMs: 0 });
      expect(await auth(printed.key)).toEqual({ principal: { tenant: 'acme', role: 'app', limits: { rpm: 60 }, budgets: {}, keyId: printed.id } });

      const listed = await keys(['list'], env);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain(printed.id);
      const stored = await deps.keys.list();
      for (const text of [listed.stdout, (await keys(['list', '--json'], env)).stdout]) {
        expect(text).not.toContain(printed.key);
        expect(text).not.toContain(stored[0]!.hash);
      }

      const revoked = await keys(['revoke', 'acme'], env);
      expect(revoked).toMatchObject({ code: 0, stderr: '' });
      expect(revoked.stdout).toContain(`revoked ${printed.id} (tenant acme`);
      expect(await auth(printed.key)).toEqual({ refused: 'invalid' });
      const again = await keys(['revoke', printed.id], env);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`nothing revoked`);
    } finally {
      await deps.close();
    }
  });

  it('answers a bad flag with a message and exit 2, and creates nothing', { timeout: 60_000 }, async () => {
    const env = { DATA_DIR: join(dir, 'bad') };
    const r = await keys(['create', '--name', 'acme', '--tpm', 'many'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^keys: --tpm must be a whole number above 0\nusage: npm run keys/);
    expect(r.stdout).toBe('');
    expect((await keys(['list', '--json'], env)).stdout.trim()).toBe('[]');
  });
});

describe('npm run keys, cloud mode', () => {
  let standin: TablestoreStandin;
  let store: TablestoreKeyStore;
  let env: Record<string, string>;
  const secret = 'cloud-cli-secret-0123456789abcdef-0123';
  beforeAll(async () => {
    standin = await new TablestoreStandin().start();
    const client = new TablestoreClient({ endpoint: standin.endpoint, instance: standin.instance, credentials: () => TEST_CREDENTIALS });
    await createKeyTable(client, 'p_client_keys');
    store = new TablestoreKeyStore(client, 'p_client_keys');
    env = {
      RUNTIME_MODE: 'cloud',
      OTS_ENDPOINT: standin.endpoint,
      OTS_INSTANCE: standin.instance,
      OTS_TABLE_PREFIX: 'p_',
      ALIBABA_CLOUD_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: TEST_CREDENTIALS.accessKeySecret,
    };
  });
  afterAll(async () => standin?.stop());

  it('needs CLIENT_KEY_SECRET to create, names it, and creates nothing without it', { timeout: 60_000 }, async () => {
    const r = await keys(['create', '--name', 'acme'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^keys: CLIENT_KEY_SECRET is not set/);
    expect(await store.list()).toEqual([]);
  });

  it("creates the key in the deployment's table under CLIENT_KEY_SECRET, lists and revokes it", { timeout: 60_000 }, async () => {
    const created = await keys(['create', '--name', 'acme', '--role', 'admin', '--monthly-budget', '50'], { ...env, CLIENT_KEY_SECRET: secret });
    expect(created, created.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toContain(`in Table Store table p_client_keys of ${standin.instance}`);
    expect(created.stdout).toMatch(/shown only now/);
    const key = /dsfc_[A-Za-z0-9]{40}/.exec(created.stdout)![0];
    expect(await store.findByHash(clientKeyDigest(secret, key))).toMatchObject({ name: 'acme', role: 'admin', budgets: { monthlyUsd: 50 }, revoked: false });
    const listed = await keys(['list'], env);
    expect(listed.stdout).toMatch(/acme +admin/);
    expect(listed.stdout).not.toContain(key);
    expect((await keys(['revoke', 'acme'], env)).code).toBe(0);
    expect((await store.list())[0]?.revoked).toBe(true);
  });
});
