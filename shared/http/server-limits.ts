// The limits every HTTP server of ours applies (FC web functions and the local runtime): how long a client
// may take to send its headers and its whole request, how long an idle kept-alive socket stays, how many sockets.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Config } from '../config/config.ts';

export interface ServerLimits {
  /** Receiving the whole request (headers and body); the response is not covered, so streams run on. */
  requestTimeoutMs: number;
  /** Receiving the headers; never more than requestTimeoutMs (node:http throws otherwise). */
  headersTimeoutMs: number;
  /** An idle socket between two requests of a kept-alive connection. */
  keepAliveTimeoutMs: number;
  /** Sockets open at once; node:http closes the ones accepted past it. */
  maxConnections: number;
}

type LimitsConfig = Pick<Config, 'HTTP_REQUEST_TIMEOUT_MS' | 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_KEEP_ALIVE_TIMEOUT_MS' | 'HTTP_MAX_CONNECTIONS'>;

export function serverLimits(config: LimitsConfig): ServerLimits {
  return {
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: config.HTTP_MAX_CONNECTIONS,
  };
}

/**
 * How often node:http sweeps for expired headers/requests. Its default (30 s) would let a 10 s header deadline
 * run to 40 s; a quarter of the shorter deadline, at most 1 s, keeps the overshoot small and the sweep cheap.
 */
export function checkingIntervalMs(limits: ServerLimits): number {
  return Math.max(25, Math.min(1_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)));
}

/** A node:http server with the limits applied: the one place both servers get them from. */
export function createLimitedServer(limits: ServerLimits, listener: RequestListener): Server {
  const server = createServer(
    { requestTimeout: limits.requestTimeoutMs, headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: checkingIntervalMs(limits) },
    listener,
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  return server;
}
