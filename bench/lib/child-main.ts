// Entry of a bench child process (forked by child.ts): starts the server named by its spec on 127.0.0.1,
// reports its URL over IPC, answers usage requests (RSS, CPU time), and exits on 'close' or when the parent goes away.
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { ChildSpec, FromChild, ToChild } from './child.ts';

const spec = JSON.parse(process.argv[2] ?? '{}') as ChildSpec;
const reply = (m: FromChild) => process.send?.(m);
let shutdown: () => Promise<void> = async () => {};

let fetchShim = false;

/** The V8 CPU profiler of this process, through the inspector (chat-overhead --profile). */
const profiler = {
  session: undefined as Session | undefined,
  async start() {
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    // a sample every 100 µs (V8's default is 1 ms): enough samples to see per-request costs of a few µs
    await this.session.post('Profiler.setSamplingInterval', { interval: 100 });
    await this.session.post('Profiler.start');
  },
  async stop(file: string) {
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    await writeFile(file, JSON.stringify(profile));
  },
};

process.on('message', (m: ToChild) => {
  if (m.type === 'usage') {
    const cpu = process.cpuUsage();
    reply({ type: 'usage', seq: m.seq, rss: process.memoryUsage.rss(), cpuMicros: cpu.user + cpu.system });
  }
  else if (m.type === 'profile-start') void profiler.start();
  else if (m.type === 'profile-stop') void profiler.stop(m.file).then(() => reply({ type: 'profiled', seq: m.seq }));
  else if (m.type === 'fetch-shim') fetchShim = true;
  else if (m.type === 'close') void shutdown().finally(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));

async function listen(server: Server): Promise<string> {
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function serve(server: Server, cleanup: () => Promise<void> = async () => {}): Promise<string> {
  const url = await listen(server);
  shutdown = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await cleanup();
  };
  return url;
}

/** Portkey's Node build listens on every interface; this keeps it on loopback by rewriting its listen() call. */
async function startPortkey(): Promise<string> {
  // Once enabled, upstream responses are re-wrapped so their headers are mutable: Portkey appends its own
  // headers to a streamed fetch() response, which Node forbids (TypeError: immutable, Portkey-AI/gateway#1389).
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
    const res = await realFetch(...args);
    const streamed = res.headers.get('content-type')?.includes('text/event-stream') ?? false;
    return fetchShim && streamed ? new Response(res.body, { status: res.status, statusText: res.statusText, headers: new Headers(res.headers) }) : res;
  };
  const original = net.Server.prototype.listen;
  const listening = new Promise<string>((resolve) => {
    net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
      const port = typeof args[0] === 'number' ? args[0] : 0;
      const cb = args.find((a) => typeof a === 'function') as (() => void) | undefined;
      net.Server.prototype.listen = original;
      this.once('listening', () => resolve(`http://127.0.0.1:${(this.address() as AddressInfo).port}`));
      return Reflect.apply(original, this, [port, '127.0.0.1', cb]) as net.Server;
    } as typeof original;
  });
  const entry = createRequire(import.meta.url).resolve('@portkey-ai/gateway/package.json').replace(/package\.json$/, 'build/start-server.js');
  process.argv = [process.argv[0]!, entry, '--port=0', '--headless'];
  const failed = import(pathToFileURL(entry).href).then(() => new Promise<never>(() => {}));
  const url = await Promise.race([listening, failed]);
  shutdown = async () => {};
  return url;
}

/**
 * chat-stream as the local runtime serves it: its HTTP handler on a node:http server, local deps, and its
 * request log on as in production (info: one JSON line per request to stdout, which the bench discards).
 */
async function startChatStream(s: Extract<ChildSpec, { kind: 'chat-stream' }>): Promise<string> {
  const { loadConfig } = await import('../../shared/config/config.ts');
  const { createLocalDeps } = await import('../../shared/deps/local-deps.ts');
  const { createLogger } = await import('../../shared/log/logger.ts');
  const { createHttpHandler } = await import('../../functions/chat-stream/index.ts');
  const dataDir = s.dataDir ?? (await mkdtemp(join(tmpdir(), 'bench-chat-stream-')));
  const env = { ...process.env, ...s.env, DASHSCOPE_BASE_URL: s.upstream, DASHSCOPE_API_KEY: s.apiKey, DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  const config = loadConfig(env);
  const deps = createLocalDeps(config, { logger: createLogger('info') });
  const handler = createHttpHandler(deps);
  return serve(createServer((req, res) => void handler(req, res)), async () => {
    await deps.close();
    if (!s.dataDir) await rm(dataDir, { recursive: true, force: true });
  });
}

async function start(): Promise<FromChild> {
  switch (spec.kind) {
    case 'bare-proxy': {
      const { createBareProxy } = await import('./bare-proxy.ts');
      return { type: 'ready', url: await serve(createBareProxy(spec.upstream)) };
    }
    case 'emulator': {
      const { startEmulator } = await import('../../dev/emulator/server.ts');
      const emu = await startEmulator({
        port: 0,
        chunkDelayMs: spec.chunkDelayMs,
        replyTokens: spec.replyTokens,
        // The bench sends thousands of requests a minute: no model limit may answer 429.
        rateLimits: { '*': { rpm: Infinity, tpm: Infinity } },
      });
      shutdown = () => emu.close();
      return { type: 'ready', url: emu.url, apiKey: emu.apiKey };
    }
    case 'chat-stream':
      return { type: 'ready', url: await startChatStream(spec) };
    case 'portkey':
      return { type: 'ready', url: await startPortkey() };
    default:
      throw new Error(`unknown child kind ${JSON.stringify(spec)}`);
  }
}

start().then(reply, (e: unknown) => reply({ type: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) }));
