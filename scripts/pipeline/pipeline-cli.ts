// `npm run pipeline -- "topic" [--out DIR]`: starts a pipeline on a running instance, shows each step's progress
// with the time spent, saves the three files into a folder (checking size and sha256), and exits 1 naming the
// step that failed. The transport, output, clock and terminal are injected so tests can drive it.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../usage-error.ts';

export const USAGE = `usage: npm run pipeline -- "topic" [--out DIR] [--language CODE] [--style STYLE] [--url URL] [--timeout SECONDS]
  Starts a pipeline (article, illustration, narration) and saves its three files into DIR (default ./pipeline-<id>).
  --url       the instance (default DASHSCOPE_FC_URL, else http://127.0.0.1:$PORT, port 9000 by default)
  the client key, if the instance asks for one, is read from DASHSCOPE_FC_KEY`;

export interface CliArgs {
  topic: string;
  out?: string;
  language?: string;
  style?: string;
  url: string;
  timeoutS: number;
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CliArgs {
  const rest: string[] = [];
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') throw new UsageError('help');
    const m = /^--(out|language|style|url|timeout)(?:=(.*))?$/.exec(a);
    if (m) {
      const value = m[2] ?? argv[++i];
      if (value === undefined || value === '') throw new UsageError(`--${m[1]} needs a value`);
      opts[m[1]!] = value;
    } else if (a.startsWith('--')) throw new UsageError(`unknown option ${a.slice(0, 40)}`);
    else rest.push(a);
  }
  if (rest.length !== 1) throw new UsageError(rest.length === 0 ? 'give the topic, in quotes' : 'give one topic, in quotes');
  const url = (opts.url ?? env.DASHSCOPE_FC_URL ?? `http://127.0.0.1:${env.PORT || 9000}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+/.test(url)) throw new UsageError(`--url must be an http(s) URL`);
  const timeoutS = opts.timeout === undefined ? 900 : Number(opts.timeout);
  if (!Number.isInteger(timeoutS) || timeoutS < 1) throw new UsageError('--timeout must be a whole number of seconds');
  return { topic: rest[0]!, url, timeoutS, ...(opts.out ? { out: opts.out } : {}), ...(opts.language ? { language: opts.language } : {}), ...(opts.style ? { style: opts.style } : {}) };
}

const viewSchema = z.object({
  id: z.string(),
  status: z.enum(['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED']),
  steps: z.array(z.object({ name: z.string(), status: z.string(), taskId: z.string().optional(), error: z.object({ code: z.string(), message: z.string() }).optional() })),
  outputs: z.array(z.object({ name: z.string(), key: z.string(), url: z.string(), bytes: z.number(), sha256: z.string() })),
  error: z.object({ step: z.string(), code: z.string(), message: z.string() }).nullable(),
});
type View = z.infer<typeof viewSchema>;
const errorSchema = z.object({ error: z.object({ message: z.string(), code: z.string().nullish() }) });

export interface CliIo {
  fetch: typeof fetch;
  out: (text: string) => void;
  err: (line: string) => void;
  /** Redraws the progress block in place (a terminal) instead of printing each change as a line. */
  tty: boolean;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  key?: string;
  cwd: string;
  pollMs?: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const MARK: Record<string, string> = { COMPLETED: '✔', FAILED: '✖', PENDING: '·' };

class CliFailure extends Error {
  override name = 'CliFailure';
}

async function call(io: CliIo, method: string, url: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (io.key) headers['authorization'] = `Bearer ${io.key}`;
  let res: Response;
  try {
    res = await io.fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (e) {
    throw new CliFailure(`cannot reach ${new URL(url).origin} (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}); is the instance running (npm start)?`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliFailure(`${method} ${new URL(url).pathname} answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) {
    const e = errorSchema.safeParse(json);
    throw new CliFailure(`${method} ${new URL(url).pathname} answered ${res.status}: ${e.success ? `${e.data.error.message}${e.data.error.code ? ` (${e.data.error.code})` : ''}` : 'an error'}`);
  }
  return json;
}

function parseView(json: unknown): View {
  const v = viewSchema.safeParse(json);
  if (!v.success) throw new CliFailure('the instance answered a pipeline of an unexpected shape');
  return v.data;
}

/** Runs the command; returns the exit code (0 done, 1 failed, 2 wrong command line). */
export async function runPipelineCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv, env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message !== 'help') io.err(`pipeline: ${e.message}`);
    io.err(USAGE);
    return e.message === 'help' ? 0 : 2;
  }
  const started = io.now();
  try {
    const body = { topic: args.topic, ...(args.language ? { language: args.language } : {}), ...(args.style ? { style: args.style } : {}) };
    let view = parseView(await call(io, 'POST', `${args.url}/v1/pipelines`, body));
    io.out(`pipeline ${view.id} on ${args.url}\n`);
    const since = new Map<string, number>();
    const ended = new Map<string, number>();
    const last = new Map<string, string>();
    let frame = 0;
    let drawn = 0;
    const render = () => {
      const now = io.now();
      const lines = view.steps.map((s) => {
        if (s.status === 'RUNNING' && !since.has(s.name)) since.set(s.name, now);
        if ((s.status === 'COMPLETED' || s.status === 'FAILED') && !ended.has(s.name)) ended.set(s.name, now);
        const from = since.get(s.name) ?? ended.get(s.name);
        const took = from !== undefined ? seconds((ended.get(s.name) ?? now) - from) : '';
        const mark = s.status === 'RUNNING' ? SPINNER[frame % SPINNER.length]! : (MARK[s.status] ?? '·');
        return `${mark} ${s.name.padEnd(20)} ${s.status.padEnd(9)} ${took.padStart(7)}${s.taskId ? `  ${s.taskId}` : ''}${s.error ? `  ${s.error.code}: ${s.error.message}` : ''}`;
      });
      if (io.tty) {
        io.out(`${drawn ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}\n`).join('')}\x1b[2K  elapsed ${seconds(now - started)}\n`);
        drawn = lines.length + 1;
      } else {
        // not a terminal: one line per change of a step, with the time since the start
        for (const s of view.steps) {
          if (last.get(s.name) === s.status) continue;
          last.set(s.name, s.status);
          io.out(`[${seconds(now - started).padStart(7)}] ${lines[view.steps.indexOf(s)]}\n`);
        }
      }
      frame++;
    };
    render();
    while (view.status !== 'COMPLETED' && view.status !== 'FAILED') {
      if (io.now() - started > args.timeoutS * 1000) throw new CliFailure(`pipeline ${view.id} is still ${view.status} after ${args.timeoutS} s; look again with GET /v1/pipelines/${view.id}`);
      await io.sleep(io.pollMs ?? 250);
      view = parseView(await call(io, 'GET', `${args.url}/v1/pipelines/${encodeURIComponent(view.id)}`));
      render();
    }
    if (view.status === 'FAILED') {
      const e = view.error;
      io.err(`pipeline ${view.id} failed at step ${e?.step ?? '?'}: ${e ? `${e.code}: ${e.message}` : 'no reason given'}`);
      return 1;
    }
    const dir = resolve(io.cwd, args.out ?? `pipeline-${view.id}`);
    await mkdir(dir, { recursive: true });
    for (const o of view.outputs) {
      const res = await io.fetch(o.url);
      if (!res.ok) throw new CliFailure(`${o.name}: its URL answered ${res.status}`);
      const bytes = Buffer.from(await res.arrayBuffer());
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (bytes.length !== o.bytes || sha256 !== o.sha256) throw new CliFailure(`${o.name}: downloaded ${bytes.length} bytes with sha256 ${sha256.slice(0, 12)}…, expected ${o.bytes} bytes, ${o.sha256.slice(0, 12)}…`);
      const file = join(dir, posix.basename(o.key));
      await writeFile(file, bytes);
      io.out(`saved ${file} (${bytes.length} bytes)\n`);
    }
    io.out(`done in ${seconds(io.now() - started)}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof CliFailure)) throw e;
    io.err(`pipeline: ${e.message}`);
    return 1;
  }
}
