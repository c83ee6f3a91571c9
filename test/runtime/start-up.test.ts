// What `npm start` tells a developer at start: a taken port is named by its variable with the way out.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRuntime } from '../../dev/runtime/runtime.ts';
import { ConfigError } from '../../shared/config/config.ts';

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
