// The secret audit's capture, loaded into every test process (vitest's workers and whatever they spawn, through
// NODE_OPTIONS=--import): appends stdout/stderr, HTTP answers >= 400 and published events to SECRET_AUDIT_DIR.
// Plain JavaScript, so that every Node the suite starts (20 with tsx, the functions' Node 22 without) can load it.
import childProcess from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';

const dir = process.env.SECRET_AUDIT_DIR;
/** Longest text kept of one record; a longer one is cut (and says so), a log line never comes near. */
const MAX_RECORD = 256 * 1024;
/** Shorter values are not looked for: they would match ordinary text. */
const MIN_SECRET = 8;
/** Variables that carry a secret: DASHSCOPE_API_KEY, CLIENT_API_KEYS (name=key entries), *_SECRET, *_TOKEN… */
const SECRET_VARIABLE = /API_KEYS?$|_SECRET$|SECRET_KEY|TOKEN$|PASSWORD/;
/** Where EventBridge's PutEvents goes (dev/standins/eventbridge/wire.ts, the real service's path). */
const PUT_EVENTS_PATH = '/openapi/putEvents';

if (dir && !globalThis.__secretAudit) {
  // log-tee.ts (a vitest setup file) records through it the log lines that never reach stdout
  globalThis.__secretAudit = { record: install(dir) };
}

/** The script a process runs (and its first argument), or how it was started when it runs none (node -e …). */
function commandOf() {
  if (process.argv.length > 1) return process.argv.slice(1, 3).join(' ');
  return process.execArgv.some((a) => a === '-e' || a === '--eval' || a === '-p') ? 'node -e …' : process.argv0;
}

function install(dir) {
  let fd;
  /** One JSON line per record, written synchronously: a child killed with SIGKILL loses nothing already written. */
  const record = (kind, text, extra) => {
    if (text.length === 0) return;
    if (fd === undefined) {
      try {
        fs.mkdirSync(dir, { recursive: true });
        fd = fs.openSync(join(dir, `${process.pid}.jsonl`), 'a');
        fs.writeSync(fd, JSON.stringify({ kind: 'process', argv: commandOf(), text: '' }) + '\n');
      } catch {
        fd = null;
      }
    }
    if (fd === null) return;
    const cut = text.length > MAX_RECORD ? `${text.slice(0, MAX_RECORD)}[cut ${text.length - MAX_RECORD} chars]` : text;
    // in a vitest worker, the test file running when the record was made
    const test = globalThis.__vitest_worker__?.filepath;
    try {
      fs.writeSync(fd, JSON.stringify({ kind, ...extra, ...(test ? { test } : {}), text: cut }) + '\n');
    } catch {
      // the audit never breaks the process it watches
    }
  };
  const textOf = (chunk) => {
    if (typeof chunk === 'string') return chunk;
    if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
    return '';
  };

  // the secrets this process holds or is handed, so the scan knows them without a list kept by hand: secret
  // variables of its environment and every Bearer key a server here receives (echoing a wrong key is a leak too)
  const known = new Set();
  const secret = (value) => {
    if (typeof value !== 'string' || value.length < MIN_SECRET || known.has(value)) return;
    known.add(value);
    record('secret', value);
  };
  for (const [name, value] of Object.entries(process.env)) {
    if (!SECRET_VARIABLE.test(name) || value === undefined) continue;
    for (const entry of value.split(',')) secret(entry.trim().replace(/^[A-Za-z0-9_.-]+=/, ''));
  }
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, req) {
    if (event === 'request') {
      const bearer = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '');
      if (bearer) secret(bearer[1]);
    }
    return emit.apply(this, arguments);
  };

  // everything the process prints
  for (const [name, stream] of [['stdout', process.stdout], ['stderr', process.stderr]]) {
    const write = stream.write;
    stream.write = function (chunk) {
      record(name, textOf(chunk));
      return write.apply(this, arguments);
    };
  }

  // the body of every HTTP answer with status >= 400, whoever sends it
  const bodies = new WeakMap();
  const proto = http.ServerResponse.prototype;
  const write = proto.write;
  const end = proto.end;
  const keep = (res, chunk) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const soFar = bodies.get(res) ?? '';
    if (soFar.length < MAX_RECORD) bodies.set(res, soFar + textOf(chunk));
  };
  proto.write = function (chunk) {
    if (this.statusCode >= 400) keep(this, chunk);
    return write.apply(this, arguments);
  };
  proto.end = function (chunk) {
    if (this.statusCode >= 400) {
      keep(this, chunk);
      record('http', bodies.get(this) ?? '', { status: this.statusCode, request: `${this.req?.method ?? ''} ${(this.req?.url ?? '').split('?')[0]}` });
      bodies.delete(this);
    }
    return end.apply(this, arguments);
  };

  // events: the local bus's events.jsonl, and PutEvents requests on their way to EventBridge
  const appendFile = fs.promises.appendFile;
  fs.promises.appendFile = function (path, data) {
    if (String(path).endsWith('events.jsonl')) record('event', textOf(data), { to: 'events.jsonl' });
    return appendFile.apply(this, arguments);
  };
  const clientProto = http.ClientRequest.prototype;
  const clientWrite = clientProto.write;
  const clientEnd = clientProto.end;
  const isPutEvents = (req) => typeof req.path === 'string' && req.path.startsWith(PUT_EVENTS_PATH);
  clientProto.write = function (chunk) {
    if (isPutEvents(this)) record('event', textOf(chunk), { to: 'eventbridge' });
    return clientWrite.apply(this, arguments);
  };
  clientProto.end = function (chunk) {
    if (isPutEvents(this) && chunk !== undefined && typeof chunk !== 'function') record('event', textOf(chunk), { to: 'eventbridge' });
    return clientEnd.apply(this, arguments);
  };

  // children inherit the capture even when a spawn site hands them an environment of their own
  // (a function's FC-like environment, a script run with PATH only): only these two variables are added
  const ours = `--import=${new URL(import.meta.url).href}`;
  const withAudit = (env) => {
    if (env === undefined || env === null || env.SECRET_AUDIT_DIR === dir) return env;
    const nodeOptions = env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ${ours}` : ours;
    return { ...env, SECRET_AUDIT_DIR: dir, NODE_OPTIONS: nodeOptions };
  };
  const fixArgs = (args) => {
    for (let i = 1; i < args.length; i++) {
      const a = args[i];
      if (a !== null && typeof a === 'object' && !Array.isArray(a)) {
        if (a.env !== undefined) args[i] = { ...a, env: withAudit(a.env) };
        break;
      }
    }
    return args;
  };
  for (const name of ['spawn', 'spawnSync', 'fork', 'exec', 'execSync', 'execFile', 'execFileSync']) {
    const original = childProcess[name];
    const wrapped = function (...args) {
      return original.apply(this, fixArgs(args));
    };
    const custom = original[promisify.custom];
    if (custom) wrapped[promisify.custom] = (...args) => custom(...fixArgs(args));
    childProcess[name] = wrapped;
  }
  syncBuiltinESMExports();
  return record;
}
