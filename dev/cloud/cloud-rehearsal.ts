// `npm run start:cloud`: the cloud composition rehearsed on one machine. The function bundles run as FC runs
// them (web functions as their own servers, event functions as handlers), against the three stand-ins.
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildFunctions } from '../../scripts/build.ts';
import { taskTableNames } from '../../shared/adapters/tablestore/task-tables.ts';
import { keyTableName } from '../../shared/adapters/tablestore/tablestore-key-store.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { serverLimits } from '../../shared/http/server-limits.ts';
import { createLogger } from '../../shared/log/logger.ts';
import type { FunctionModule } from '../../shared/runtime/fc.ts';
import { startEmulator } from '../emulator/server.ts';
import type { LoadedFunction } from '../runtime/functions.ts';
import { Invocations } from '../runtime/invocations.ts';
import { listenOn } from '../runtime/local-ports.ts';
import { ossRoutes } from '../runtime/oss-triggers.ts';
import { createRuntimeServer } from '../runtime/http-server.ts';
import { buildRouteTable, type RuntimeRoute } from '../runtime/route-table.ts';
import { readSYaml, type FunctionSpec } from '../runtime/s-yaml.ts';
import { startTimers } from '../runtime/timers.ts';
import { ensureNodeBinary, fcNodeVersion } from '../runtime/fc-node.ts';
import type { Supervised } from './child-process.ts';
import { describeCloud, type FunctionLine } from './cloud-banner.ts';
import { startEventFunction } from './event-function-process.ts';
import { startRehearsalFcApi } from './fc-api.ts';
import { cloudTargets, functionEnv, rehearsalAllowsAnonymous } from './function-env.ts';
import { ossNotificationDispatcher } from './oss-events.ts';
import { REHEARSAL_CREDENTIALS, REHEARSAL_OPERATOR_KEY, startStandins } from './standins.ts';
import { startWebFunction } from './web-function-process.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const ACCOUNT_ID = '1234567890123456';

export interface RehearsalOptions {
  env: NodeJS.ProcessEnv;
  /** Human-readable lines: the banner, the functions' output, shutdown. */
  log?: (line: string) => void;
  /** First backoff of async (OSS) retries; doubles per retry (default 1000 ms). */
  asyncRetryBaseMs?: number;
}

export interface Rehearsal {
  url: string;
  close(): Promise<void>;
}

/**
 * The Node the bundles run on: FC_NODE_BINARY (a path, or `current` for this script's), else the version of the
 * Node layer s.yaml names, fetched once from the npm registry, else this script's.
 */
function fcNode(specs: readonly FunctionSpec[], env: NodeJS.ProcessEnv): { binary: string; line: string } {
  const asked = env.FC_NODE_BINARY;
  if (asked && asked !== 'current') return { binary: asked, line: `functions run on ${asked} (FC_NODE_BINARY)` };
  const version = fcNodeVersion(specs);
  if (!version || asked === 'current') return { binary: process.execPath, line: `functions run on this Node, ${process.version}${version ? ` (FC runs ${version})` : ''}` };
  return { binary: ensureNodeBinary(version), line: `functions run on Node ${version}, the version of s.yaml's Node layer (FC_NODE_BINARY=current: this Node)` };
}

/** A port free right now, for an instance's FC_CUSTOM_LISTEN_PORT. */
function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer().once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });
}

export async function startRehearsal(o: RehearsalOptions): Promise<Rehearsal> {
  // the rehearsal itself reads the local settings (PORT, DATA_DIR, timers, emulator); the functions get cloud ones
  const config = loadConfig({ ...o.env, RUNTIME_MODE: 'local', FC_FUNCTION_NAME: '' });
  const say = o.log ?? (() => undefined);
  const logger = createLogger(config.LOG_LEVEL);
  const undo: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const u of undo.splice(0).reverse()) await u().catch(() => undefined);
  };
  try {
    // The front port is taken first, before the build: the stand-ins, the emulator and the functions listen on
    // ports the system picks, which could otherwise be the one asked for. Routes are filled in once they run.
    const routes: RuntimeRoute[] = [];
    let health: () => unknown = () => ({ ok: false, mode: 'cloud-rehearsal', starting: true });
    const invocations = new Invocations(logger, { baseDelayMs: o.asyncRetryBaseMs ?? 1000 });
    // the same server as `npm start`'s, without the local object route: output URLs point at the OSS stand-in
    const server: Server = createRuntimeServer({ routes, invocations, health: () => health(), log: logger, limits: serverLimits(config) });
    const listenPort = config.PORT ?? 9000;
    await listenOn('PORT', listenPort, () => new Promise<void>((ok, fail) => server.once('error', fail).listen(listenPort, '127.0.0.1', () => ok())));
    undo.push(() => new Promise<void>((r) => server.close(() => r())).finally(() => server.closeAllConnections()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const distDir = join(REPO, 'dist');
    const bundles = await buildFunctions({ root: REPO, functionsDir: join(REPO, 'functions'), outDir: distDir });
    say(`built ${bundles.length} bundles into ${relative(process.cwd(), distDir) || '.'}/`);
    const sYamlPath = join(REPO, 's.yaml');
    const specs = readSYaml(sYamlPath, o.env);
    const node = fcNode(specs, o.env);
    say(node.line);
    // Table Store keeps its rows in memory, so nothing else may outlive a run either
    const stateDir = resolve(config.DATA_DIR, 'cloud');
    rmSync(stateDir, { recursive: true, force: true });
    mkdirSync(stateDir, { recursive: true });

    const region = o.env.FC_REGION || 'cn-beijing';
    const bucket = o.env.OSS_BUCKET || 'dashscope-fc-media';
    const standins = await startStandins({ region, bucket, bus: config.EVENTBRIDGE_BUS, tablePrefix: config.OTS_TABLE_PREFIX, ossDir: join(stateDir, 'oss') });
    undo.push(() => standins.close());
    const emulator = await listenOn('EMULATOR_PORT', config.EMULATOR_PORT, () =>
      startEmulator({ port: config.EMULATOR_PORT, timeScale: config.EMULATOR_TIME_SCALE, stateDir: join(stateDir, 'emulator'), ...(config.EMULATOR_FAULTS ? { faults: config.EMULATOR_FAULTS } : {}) }),
    );
    undo.push(() => emulator.close());
    const targets = cloudTargets({ region, accountId: ACCOUNT_ID, bucket, bus: config.EVENTBRIDGE_BUS, tablePrefix: config.OTS_TABLE_PREFIX }, standins, emulator, o.env);

    const procs: Supervised[] = [];
    undo.push(() => Promise.all(procs.map((p) => p.stop())).then(() => undefined));
    const common = { region, accountId: ACCOUNT_ID, credentials: REHEARSAL_CREDENTIALS, output: say };
    const start = async (spec: FunctionSpec): Promise<{ fn: LoadedFunction; line: FunctionLine; proc: Supervised }> => {
      const codeDir = resolve(REPO, spec.code);
      const name = spec.resource;
      if (spec.customRuntime) {
        const port = await freePort();
        const web = await startWebFunction({ ...common, spec, codeDir, port, nodeBinary: node.binary, env: functionEnv(spec, targets, o.env, port) });
        procs.push(web);
        // FC sends a web function every path; which paths are public is the custom domain's business (here: the
        // routes, read from the function's source: its bundle is the server alone)
        const { routes } = (await import(pathToFileURL(join(REPO, 'functions', basename(codeDir), 'index.ts')).href)) as FunctionModule;
        const how = `${spec.customRuntime.command.join(' ')} ${spec.customRuntime.args.join(' ')} on port ${port} (${spec.runtime}, FC_CUSTOM_LISTEN_PORT)`;
        return { fn: { spec, name, module: { ...(routes ? { routes } : {}) }, http: web.http, event: web.event }, line: { name, pid: web.child.pid, how }, proc: web };
      }
      const ev = await startEventFunction({ ...common, spec, codeDir, env: functionEnv(spec, targets, o.env) });
      procs.push(ev);
      return { fn: { spec, name, module: {}, event: ev.event }, line: { name, pid: ev.child.pid, how: `${spec.handler ?? 'index.handler'} of ${relative(REPO, ev.file)} (${spec.runtime})` }, proc: ev };
    };
    const started = await Promise.all(specs.map(start));
    const functions = started.map((s) => s.fn);

    const table = buildRouteTable(functions);
    routes.push(...table.routes);
    const notes = table.notes;
    for (const f of functions) {
      if (f.spec.triggers.some((t) => t.triggerType === 'eventbridge')) notes.push(`${f.name}: eventbridge triggers are not delivered by the rehearsal`);
    }
    // not ok once an instance died: FC would start a new one, the rehearsal does not
    health = () => ({
      ok: started.every((s) => s.proc.alive()),
      mode: 'cloud-rehearsal',
      functions: started.map((s) => ({ name: s.fn.name, pid: s.line.pid, running: s.proc.alive() })),
      dashscope: { target: 'emulator', baseUrl: emulator.url },
    });

    // the FC API over the running functions, so an operator can rehearse `npm run ops` against them
    const fcApi = await startRehearsalFcApi(functions, invocations, url, [REHEARSAL_OPERATOR_KEY]);
    undo.push(() => fcApi.close());
    const opsEnv = {
      FC_ENDPOINT: fcApi.standin.origin,
      FC_REGION: region,
      FC_ACCOUNT_ID: ACCOUNT_ID,
      OTS_ENDPOINT: standins.ots.endpoint,
      OTS_INSTANCE: standins.ots.instance,
      ...(config.OTS_TABLE_PREFIX ? { OTS_TABLE_PREFIX: config.OTS_TABLE_PREFIX } : {}),
      OSS_BUCKET: bucket,
      EVENTBRIDGE_ENDPOINT: targets.eventBridgeEndpoint,
      EVENTBRIDGE_BUS: config.EVENTBRIDGE_BUS,
      ALIBABA_CLOUD_ACCESS_KEY_ID: REHEARSAL_OPERATOR_KEY.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: REHEARSAL_OPERATOR_KEY.accessKeySecret,
    };
    const timers = startTimers(functions, config.LOCAL_TIMER_INTERVAL_MS, invocations);
    const oss = ossRoutes(functions);
    const offOss = standins.oss.onObjectCreated(ossNotificationDispatcher(oss, invocations, bucket));
    const tables = Object.values(taskTableNames(config.OTS_TABLE_PREFIX)).concat(`${config.OTS_TABLE_PREFIX}conversations`, keyTableName(config.OTS_TABLE_PREFIX)).join(', ');
    const banner = describeCloud({
      sYamlPath,
      stateDir,
      emulatorUrl: emulator.url,
      ots: { endpoint: standins.ots.endpoint, instance: standins.ots.instance, tables },
      oss: { endpoint: standins.oss.endpoint, bucket },
      eventBridge: { endpoint: targets.eventBridgeEndpoint, bus: config.EVENTBRIDGE_BUS },
      fcApi: { origin: fcApi.standin.origin, opsEnv },
      functions: started.map((s) => s.line),
      url,
      clientKeys: config.CLIENT_API_KEYS?.length ?? 0,
      anonymous: rehearsalAllowsAnonymous(o.env),
      routes,
      timers: timers.handles,
      intervalMs: config.LOCAL_TIMER_INTERVAL_MS,
      ossTriggers: oss,
      notes,
    });
    for (const line of banner) say(line);

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        timers.stop();
        offOss();
        if (!(await invocations.drain(5_000))) say('some invocations were still running at shutdown; they were abandoned');
        await stopAll();
        say('cloud rehearsal stopped');
      })());
    return { url, close };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
