// The local runtime: every fc3 function of s.yaml on one machine, its triggers wired for real (HTTP, timer,
// OSS, EventBridge), local adapters under DATA_DIR, and the DashScope emulator when no key is set.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, type Emulator } from '../emulator/server.ts';
import { ConfigError, loadConfig, type Config } from '../../shared/config/config.ts';
import { resetDeps, setDeps } from '../../shared/deps/get-deps.ts';
import { createLocalDeps, type LocalDeps } from '../../shared/deps/local-deps.ts';
import { serverLimits } from '../../shared/http/server-limits.ts';
import { createLogger, type Logger } from '../../shared/log/logger.ts';
import { describeRuntime } from './banner.ts';
import { wireEventBridge } from './eventbridge-triggers.ts';
import { loadFunction, type LoadedFunction } from './functions.ts';
import { createRuntimeServer } from './http-server.ts';
import { Invocations } from './invocations.ts';
import { listenOn } from './local-ports.ts';
import { loopbackOrigin } from './loopback-origin.ts';
import { ossDispatcher, ossRoutes } from './oss-triggers.ts';
import { buildRouteTable } from './route-table.ts';
import { readSYaml } from './s-yaml.ts';
import { startTimers } from './timers.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface RuntimeOptions {
  env: NodeJS.ProcessEnv;
  /** Default: s.yaml at the repository root. */
  sYamlPath?: string;
  /** Where `functions/<name>/index.ts` live (default `<repo>/functions`); tests point it at fixtures. */
  functionsRoot?: string;
  /** Human-readable lines: what is served, where the emulator is, shutdown. */
  log?: (line: string) => void;
  /** JSON logs; default a logger at LOG_LEVEL on stdout. */
  logger?: Logger;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** First backoff of async (OSS, EventBridge) retries; doubles per retry (default 1000 ms). */
  asyncRetryBaseMs?: number;
  /** How long close() waits for invocations in flight (default 5000 ms). */
  drainMs?: number;
}

export interface Runtime {
  url: string;
  port: number;
  /** The HTTP server, for tests that look at its sockets. */
  server: Server;
  emulator?: Emulator;
  deps: LocalDeps;
  invocations: Invocations;
  functions: readonly LoadedFunction[];
  /** Stops timers and triggers, waits for invocations in flight, closes server, emulator and database. */
  close(): Promise<void>;
}

/** The config the functions see: pointed at the emulator (URL, key, persist allowlist) when it runs. */
export function emulatorConfig(config: Config, emulator: Pick<Emulator, 'url' | 'apiKey'>): Config {
  return {
    ...config,
    DASHSCOPE_API_KEY: emulator.apiKey,
    DASHSCOPE_BASE_URL: emulator.url,
    dashscopeOrigin: emulator.url,
    // Result URLs point at the emulator's origin; an exact origin entry admits it (http, loopback) and nothing else.
    RESULT_HOST_ALLOWLIST: [...config.RESULT_HOST_ALLOWLIST, emulator.url],
  };
}

/**
 * The config the functions see when DASHSCOPE_BASE_URL is on this machine (an emulator run on its own): its
 * origin joins the persist allowlist, as for the emulator npm start starts. Unchanged for any other host.
 */
export function loopbackDashScopeConfig(config: Config): { config: Config; trustedOrigin?: string } {
  const origin = loopbackOrigin(config.DASHSCOPE_BASE_URL);
  if (!origin || config.RESULT_HOST_ALLOWLIST.includes(origin)) return { config };
  return { config: { ...config, RESULT_HOST_ALLOWLIST: [...config.RESULT_HOST_ALLOWLIST, origin] }, trustedOrigin: origin };
}

function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections();
  return closed;
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const config = loadConfig(options.env);
  if (config.mode !== 'local') throw new ConfigError('the local runtime needs local mode: unset RUNTIME_MODE=cloud and FC_FUNCTION_NAME', ['RUNTIME_MODE']);
  const sYamlPath = options.sYamlPath ?? `${REPO}s.yaml`;
  const specs = readSYaml(sYamlPath, options.env);
  const say = options.log ?? (() => undefined);
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const undo: (() => Promise<void>)[] = [];
  try {
    let emulator: Emulator | undefined;
    let effective = config;
    let trustedOrigin: string | undefined;
    if (!config.DASHSCOPE_API_KEY) {
      // Its state lives next to the tasks that refer to it, so a restart finds the upstream tasks it polls.
      const emu = await listenOn('EMULATOR_PORT', config.EMULATOR_PORT, () =>
        startEmulator({
          port: config.EMULATOR_PORT,
          timeScale: config.EMULATOR_TIME_SCALE,
          stateDir: join(config.DATA_DIR, 'emulator'),
          ...(config.EMULATOR_FAULTS ? { faults: config.EMULATOR_FAULTS } : {}),
        }),
      );
      emulator = emu;
      undo.push(() => emu.close());
      effective = emulatorConfig(config, emu);
    } else {
      ({ config: effective, trustedOrigin } = loopbackDashScopeConfig(config));
    }
    let baseUrl = config.PUBLIC_BASE_URL ?? '';
    const deps = createLocalDeps(effective, { logger, publicBaseUrl: () => baseUrl });
    undo.push(() => deps.close());
    setDeps(deps);

    const functions: LoadedFunction[] = [];
    for (const spec of specs) functions.push(await loadFunction(spec, options.functionsRoot ?? `${REPO}functions`, deps));
    const { routes, notes } = buildRouteTable(functions);
    const invocations = new Invocations(logger, { baseDelayMs: options.asyncRetryBaseMs ?? 1000 });
    const health = {
      ok: true,
      mode: 'local',
      functions: functions.map((f) => f.name),
      dashscope: { target: emulator ? 'emulator' : 'dashscope', baseUrl: effective.dashscopeOrigin },
    };
    const server = createRuntimeServer({ routes, objects: deps.objects, invocations, health: () => health, log: logger, limits: serverLimits(config) });
    const host = options.host ?? '127.0.0.1';
    const listenPort = config.PORT ?? 9000;
    await listenOn('PORT', listenPort, () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listenPort, host, () => resolve());
      }),
    );
    undo.push(() => closeServer(server));
    const port = (server.address() as AddressInfo).port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    baseUrl ||= url;

    const timers = startTimers(functions, config.LOCAL_TIMER_INTERVAL_MS, invocations);
    const oss = ossRoutes(functions);
    const offOss = deps.objects.onObjectCreated(ossDispatcher(oss, invocations, config.OSS_BUCKET ?? 'local', config.OSS_REGION ?? 'local'));
    const bridge = wireEventBridge(functions, deps.events, invocations, config.EVENTBRIDGE_BUS);
    const stored = await deps.keys.list();
    const configured = config.CLIENT_API_KEYS?.length ?? 0;
    const banner = describeRuntime({
      sYamlPath,
      dataDir: config.DATA_DIR,
      url,
      emulator,
      dashscopeOrigin: effective.dashscopeOrigin,
      ...(trustedOrigin ? { trustedOrigin } : {}),
      clientKeys: { configured, stored: stored.filter((k) => !k.revoked).length, open: configured === 0 && stored.length === 0 },
      routes,
      timers: timers.handles,
      intervalMs: config.LOCAL_TIMER_INTERVAL_MS,
      oss,
      bridge: bridge.handles,
      notes,
    });
    for (const line of banner) say(line);

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        timers.stop();
        offOss();
        bridge.stop();
        const stopped = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        const drained = await invocations.drain(options.drainMs ?? 5000);
        if (!drained) say('some invocations were still running at shutdown; they were abandoned');
        server.closeAllConnections();
        await stopped;
        await deps.events.idle();
        if (emulator) await emulator.close();
        await deps.close();
        resetDeps();
        say('local runtime stopped');
      })());
    return { url, port, server, ...(emulator ? { emulator } : {}), deps, invocations, functions, close };
  } catch (e) {
    for (const u of undo.reverse()) await u().catch(() => undefined);
    resetDeps();
    throw e;
  }
}
