// The chat-stream stack for tests: the DashScope emulator, local deps on a temporary DATA_DIR pointed at it,
// and chat-stream served by FC's web-function server on 127.0.0.1:0, as deployed. Records what went upstream
// (bodies) and every log line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../dev/emulator/server.ts';
import type { EmulatorOptions } from '../../dev/emulator/options.ts';
import * as chatStream from '../../functions/chat-stream/index.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { createLocalDeps } from '../../shared/deps/local-deps.ts';
import { serveWebFunction } from '../../shared/http/web-function.ts';
import { createLogger } from '../../shared/log/logger.ts';

export interface UpstreamCall {
  op: 'chat' | 'chatRelay' | 'embed';
  body: Record<string, unknown> & { model: string; messages?: unknown[] };
}

export type ChatStack = Awaited<ReturnType<typeof startChatStack>>;

export async function startChatStack(options: { emulator?: EmulatorOptions; env?: Record<string, string> } = {}) {
  const emu = await startEmulator({ port: 0, chunkDelayMs: 1, ...options.emulator });
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-stream-'));
  const config = loadConfig({
    DASHSCOPE_API_KEY: emu.apiKey,
    DASHSCOPE_BASE_URL: emu.url,
    DATA_DIR: dataDir,
    DASHSCOPE_MAX_RETRIES: '2',
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const logs: Record<string, unknown>[] = [];
  const logLines: string[] = [];
  /** Checks of those waiting in `logged`, run as each line is written. */
  const logWatchers = new Set<() => void>();
  const sink = (line: string) => {
    logLines.push(line);
    logs.push(JSON.parse(line) as Record<string, unknown>);
    for (const check of logWatchers) check();
  };
  const deps = createLocalDeps(config, { logger: createLogger('info', {}, sink) });

  const upstream: UpstreamCall[] = [];
  const real = deps.dashscope;
  deps.dashscope = new Proxy(real, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop === 'chat' || prop === 'chatRelay' || prop === 'embed') {
        return (body: UpstreamCall['body'], opts: unknown) => {
          upstream.push({ op: prop, body: structuredClone(body) });
          return (value as (b: unknown, o: unknown) => unknown).call(target, body, opts);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });

  // closed below, deps and all: the web-function server's close() closes its deps after draining
  const served = await serveWebFunction(chatStream, deps, 0, { host: '127.0.0.1', handleSignals: false, drainMs: 0, markers: () => undefined });
  const url = served.url;

  return {
    url,
    baseURL: `${url}/v1`,
    emu,
    deps,
    config,
    logs,
    /** The same log lines as written, for checks on their size. */
    logLines,
    upstream,
    /** Request-log lines of chat-stream (one per request). */
    requestLogs: () => logs.filter((l) => l.msg === 'request'),
    /** Resolves with the first log line `match` accepts, written already or once it is. */
    logged: (match: (line: Record<string, unknown>) => boolean) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const check = () => {
          const line = logs.find(match);
          if (!line) return;
          logWatchers.delete(check);
          resolve(line);
        };
        logWatchers.add(check);
        check();
      }),
    async close() {
      await served.close();
      await emu.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
