// The one helper both HTTP servers get their limits from: config values reach the server, and the sweep interval.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.ts';
import { checkingIntervalMs, createLimitedServer, serverLimits } from './server-limits.ts';

describe('server limits', () => {
  it('applies the configured deadlines and cap to a new server', () => {
    const limits = serverLimits(loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '20000', HTTP_HEADERS_TIMEOUT_MS: '8000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '4000', HTTP_MAX_CONNECTIONS: '50' }));
    const server = createLimitedServer(limits, () => undefined);
    expect({ request: server.requestTimeout, headers: server.headersTimeout, keepAlive: server.keepAliveTimeout, max: server.maxConnections }).toEqual({ request: 20_000, headers: 8_000, keepAlive: 4_000, max: 50 });
  });

  it('sweeps for expired requests at a quarter of the shorter deadline, at most every second', () => {
    const limits = serverLimits(loadConfig({}));
    expect(checkingIntervalMs(limits)).toBe(1_000);
    expect(checkingIntervalMs({ ...limits, headersTimeoutMs: 300, requestTimeoutMs: 400 })).toBe(75);
    expect(checkingIntervalMs({ ...limits, headersTimeoutMs: 100, requestTimeoutMs: 100 })).toBe(25);
  });
});
