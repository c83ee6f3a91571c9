// What `npm start` tells a developer at start: a taken port is named by its variable with the way out, an
// emulator run on its own (loopback DASHSCOPE_BASE_URL) has its results persisted, and the banner says
// whether client keys are enforced and shows a chat curl that works as printed.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/server.ts';
import { startRuntime, type Runtime } from '../../dev/runtime/runtime.ts';
import { openDatabase } from '../../shared/adapters/sqlite/database.ts';
import { SqliteKeyStore } from '../../shared/adapters/sqlite/sqlite-key-store.ts';
import { ConfigError } from '../../shared/config/config.ts';
import { localClientKeySecret } from '../../shared/deps/local-deps.ts';
import { uuidIds, systemClock } from '../../shared/ports/clock.ts';
import { createClientKey } from '../../shared/use-cases/tenants/client-keys.ts';

const FUNCTIONS = join(import.meta.dirname, 'fixtures', 'functions');
const TICKER_ONLY = `
resources:
  ticker:
    component: fc3
    props: { functionName: t, runtime: nodejs20, handler: index.handler, code: ./dist/ticker, triggers: [{ triggerName: t, triggerType: timer, triggerConfig: { cronExpression: '@every 1m', enable: false } }] }
`;

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'start-up-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A port some other process holds for the duration of `use`. */
async function withPortTaken<T>(use: (port: number) => Promise<T>): Promise<T> {
  const holder: Server = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  try {
    return await use((holder.address() as { port: number }).port);
  } finally {
    await new Promise((r) => holder.close(r));
  }
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { DATA_DIR: join(tempDir(), 'data'), LOG_LEVEL: 'silent', LOCAL_TIMER_INTERVAL_MS: '50', ...extra };
}

describe('a port that is already taken', () => {
  it('names EMULATOR_PORT and the port, and says to pick another or 0', async () => {
    await withPortTaken(async (port) => {
      const sYamlPath = join(tempDir(), 's.yaml');
      writeFileSync(sYamlPath, TICKER_ONLY);
      const err = await startRuntime({ env: baseEnv({ PORT: '0', EMULATOR_PORT: String(port) }), sYamlPath, functionsRoot: FUNCTIONS }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toBe(
        `EMULATOR_PORT=${port}: port ${port} is already in use (another \`npm start\` or emulator?); set EMULATOR_PORT to another port, or to 0 for any free one`,
      );
    });
  });

  it('names PORT and the port when the runtime’s own server cannot listen', async () => {
    await withPortTaken(async (port) => {
      const sYamlPath = join(tempDir(), 's.yaml');
      writeFileSync(sYamlPath, TICKER_ONLY);
      const err = await startRuntime({ env: baseEnv({ PORT: String(port), EMULATOR_PORT: '0' }), sYamlPath, functionsRoot: FUNCTIONS }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variables).toEqual(['PORT']);
      expect((err as Error).message).toContain(`PORT=${port}: port ${port} is already in use`);
      expect((err as Error).message).toContain('set PORT to another port, or to 0 for any free one');
    });
  });
});

describe('the client keys line', () => {
  const OPEN_LINE =
    "client keys: none (no CLIENT_API_KEYS, none in the key store), so this runtime is open: every request acts as the tenant 'local' (admin). Make one with npm run keys -- create --name NAME";
  const bannerOf = async (env: NodeJS.ProcessEnv): Promise<string[]> => {
    const sYamlPath = join(tempDir(), 's.yaml');
    writeFileSync(sYamlPath, TICKER_ONLY);
    const out: string[] = [];
    const rt = await startRuntime({ env: { ...env, PORT: '0', EMULATOR_PORT: '0' }, sYamlPath, functionsRoot: FUNCTIONS, log: (l) => out.push(l) });
    await rt.close();
    return out;
  };

  it('says the runtime is open as the local tenant when no key is configured and the store is empty', async () => {
    expect(await bannerOf(baseEnv({}))).toContain(OPEN_LINE);
  });

  it('says keys are enforced once the store under DATA_DIR holds one', async () => {
    const env = baseEnv({});
    const config = { DATA_DIR: env.DATA_DIR!, CLIENT_KEY_SECRET: undefined };
    const db = openDatabase(join(config.DATA_DIR, 'local.db'));
    await createClientKey({ keys: new SqliteKeyStore(db), clock: systemClock, ids: uuidIds, clientKeySecret: localClientKeySecret(config) }, { name: 'acme' });
    db.close();
    const banner = await bannerOf(env);
    expect(banner).not.toContain(OPEN_LINE);
    expect(banner).toContain('client keys: enforced (0 in CLIENT_API_KEYS, 1 in the key store); send one as Authorization: Bearer <key>');
  });
});

describe('an emulator run on its own, with client keys', () => {
  const keys = ['client-key-aaaaaaaaaaaaaaaa', 'client-key-bbbbbbbbbbbbbbbb'];
  const out: string[] = [];
  let emu: Emulator;
  let rt: Runtime;
  beforeAll(async () => {
    emu = await startEmulator({
      port: 0,
      taskTimings: { image: { pendingMs: 20, runningMs: 40 } },
      rateLimits: { '*': { rpm: Infinity, submitsPerSecond: Infinity, concurrentTasks: Infinity } },
    });
    rt = await startRuntime({
      env: baseEnv({ PORT: '0', DASHSCOPE_API_KEY: emu.apiKey, DASHSCOPE_BASE_URL: emu.url, CLIENT_API_KEYS: keys.join(','), RESULT_HOST_ALLOWLIST: '*.aliyuncs.com' }),
      log: (l) => out.push(l),
    });
  });
  afterAll(async () => {
    await rt?.close();
    await emu?.close();
  });

  it('says client keys are enforced, without a key, and prints a chat curl that works as printed', async () => {
    const banner = out.join('\n');
    expect(banner).toContain('client keys: enforced (2 in CLIENT_API_KEYS, 0 in the key store); send one as Authorization: Bearer <key>');
    for (const k of keys) expect(banner).not.toContain(k);
    // The curl exactly as printed, with the placeholder filled in by the shell.
    const curl = out.find((l) => l.trim().startsWith('curl '))!.trim();
    expect(curl).toContain(`${rt.url}/v1/chat/completions`);
    const { stdout } = await promisify(execFile)('bash', ['-c', curl], { env: { ...process.env, CLIENT_KEY: keys[1]! } });
    const completion = JSON.parse(stdout) as { object: string; choices: { message: { content: string } }[] };
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.content.length).toBeGreaterThan(0);
  });

  it('persists results from the loopback DASHSCOPE_BASE_URL and says it allowed that origin', { timeout: 30_000 }, async () => {
    const auth = { authorization: `Bearer ${keys[0]}` };
    const created = await fetch(`${rt.url}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ type: 'text-to-image', input: { prompt: 'a red fox' }, parameters: { n: 1 } }),
    });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    // persist-to-oss, triggered by the task's manifest, is the last step: the task is settled once it returned
    await rt.invocations.waitFor((r) => r.fn === 'persist-to-oss' && r.ok === true && JSON.stringify(r.event).includes(id), 25_000);
    const task = (await (await fetch(`${rt.url}/v1/tasks/${id}`, { headers: auth })).json()) as { status: string; outputs: { url?: string }[]; error?: unknown };
    expect(task.status, JSON.stringify(task.error)).toBe('PERSISTED');
    const media = await fetch(task.outputs[0]!.url!);
    expect(media.status).toBe(200);
    expect(media.headers.get('content-type')).toBe('image/png');
    expect(out).toContain(`persist-to-oss may download results from ${emu.url} (DASHSCOPE_BASE_URL is a loopback address; added to RESULT_HOST_ALLOWLIST)`);
  });
});
