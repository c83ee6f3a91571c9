// JSON-lines logger, built once per process; `child()` adds per-invocation keys (fn, requestId, taskId…)
// without mutating the parent, so keys never leak from one request to the next. Secrets are redacted by key.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

const SECRET_KEY = /authorization|api[-_]?key|secret|token|password|signature/i;

export type LogFields = Record<string, unknown>;

/**
 * Longest string kept whole in a log line, so a value a client sent can never make a line megabytes long;
 * callers clip client text far shorter, this is the backstop.
 */
export const MAX_LOG_STRING = 2_048;

/** A typeof and a length check per value: cheap enough for chat-stream's one line per request. */
function capped(s: string): string {
  return s.length > MAX_LOG_STRING ? `${s.slice(0, MAX_LOG_STRING)}…[truncated ${s.length - MAX_LOG_STRING} chars]` : s;
}

export interface Logger {
  debug(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
  child(fields: LogFields): Logger;
}

export type LogSink = (line: string) => void;

/** Whether a key names a secret; keys repeat from line to line, so each is tested once. */
const secretKeys = new Map<string, boolean>();
function isSecretKey(key: string): boolean {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    secret = SECRET_KEY.test(key);
    if (secretKeys.size < 10_000) secretKeys.set(key, secret);
  }
  return secret;
}

/** Copies `from`'s own keys onto `to`, secrets replaced and nested values redacted. */
function assignRedacted(to: LogFields, from: object, depth: number): LogFields {
  for (const k in from) {
    if (!Object.hasOwn(from, k)) continue;
    to[k] = isSecretKey(k) ? '[redacted]' : redact((from as LogFields)[k], depth);
  }
  return to;
}

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return capped(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: capped(value.message), ...(('code' in value) ? { code: (value as { code: unknown }).code } : {}) };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return assignRedacted({}, value, depth + 1);
}

export function createLogger(level: LogLevel = 'info', base: LogFields = {}, sink: LogSink = (l) => process.stdout.write(l + '\n')): Logger {
  const min = ORDER[level];
  // one line per request on chat-stream's path: one object, filled in place (spreads of varying shapes cost µs)
  const safeBase = assignRedacted({}, base, 1);
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: object) => {
    if (ORDER[lvl] < min) return;
    const line: LogFields = { time: new Date().toISOString(), level: lvl, msg: capped(msg) };
    Object.assign(line, safeBase);
    if (fields) assignRedacted(line, fields, 1);
    sink(JSON.stringify(line));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }, sink),
  };
}

export const silentLogger: Logger = createLogger('silent');
