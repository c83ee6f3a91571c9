// The FC web-function server's connection limits (timeouts from HTTP_* config, connection cap), through the
// shared suite, serving the slow-http fixture module as chat-stream and submit-task serve theirs.
import { loadConfig } from '../../shared/config/config.ts';
import type { Deps } from '../../shared/deps/deps.ts';
import { serveWebFunction } from '../../shared/http/web-function.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import * as slowHttp from './fixtures/functions/slow-http/index.ts';
import { runServerLimitsContract } from './server-limits-contract.ts';

runServerLimitsContract('web function', async (env) => {
  const config = loadConfig({ FC_FUNCTION_NAME: 'fixture-fn', RUNTIME_MODE: 'local', ...env });
  const deps = { config, logger: silentLogger, close: async () => undefined } as unknown as Deps;
  return serveWebFunction(slowHttp, deps, 0, { host: '127.0.0.1', handleSignals: false, drainMs: 100, markers: () => undefined });
});
