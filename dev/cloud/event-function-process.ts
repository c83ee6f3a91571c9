// An event function (built-in nodejs20 runtime) as FC runs it: its own process with the function's
// environment, `handler` of dist/<fn>/index.mjs loaded once and invoked per event with a Buffer and a context.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { CloudCredentials } from '../../shared/runtime/fc-credentials.ts';
import type { EventHandler } from '../../shared/runtime/fc.ts';
import type { FunctionSpec } from '../runtime/s-yaml.ts';
import { supervise, type Supervised } from './child-process.ts';
import type { InvokeMessage, ReplyMessage } from './event-worker.ts';
import { fcContext } from './fc-headers.ts';
import { FunctionInvocationError } from './web-function-process.ts';

export interface EventFunctionStart {
  spec: FunctionSpec;
  codeDir: string;
  env: NodeJS.ProcessEnv;
  region: string;
  accountId: string;
  credentials: CloudCredentials;
  output: (line: string) => void;
  readyTimeoutMs?: number;
}

export interface EventFunctionProcess extends Supervised {
  /** The module file and export `handler` names, e.g. index.mjs and handler for `index.handler`. */
  file: string;
  event: EventHandler;
}

/** `index.handler` → index.mjs, handler (what FC's Node runtime resolves for an ESM bundle). */
export function handlerOf(spec: FunctionSpec): { file: string; name: string } {
  const h = spec.handler ?? 'index.handler';
  const dot = h.lastIndexOf('.');
  return { file: `${h.slice(0, dot)}.mjs`, name: h.slice(dot + 1) };
}

export async function startEventFunction(s: EventFunctionStart): Promise<EventFunctionProcess> {
  const { file, name } = handlerOf(s.spec);
  const bundle = join(s.codeDir, file);
  // the worker is TypeScript (tsx); the bundle it imports is the plain ESM FC would load
  const child = fork(join(import.meta.dirname, 'event-worker.ts'), [bundle, name], { cwd: s.codeDir, env: s.env, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const proc = supervise(child, s.spec.resource, s.output);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${s.spec.resource}: ${bundle} did not load within ${s.readyTimeoutMs ?? 20_000} ms`)), s.readyTimeoutMs ?? 20_000);
    child.on('message', (m: ReplyMessage) => {
      if ('ready' in m) {
        clearTimeout(timer);
        return resolve();
      }
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.ok) p?.resolve(m.result);
      else p?.reject(Object.assign(new FunctionInvocationError(`${s.spec.resource}: ${m.error.name}: ${m.error.message}`), { cause: m.error }));
    });
    void proc.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${s.spec.resource} exited before its handler loaded (exit ${child.exitCode ?? child.signalCode})`));
      for (const p of pending.values()) p.reject(new FunctionInvocationError(`${s.spec.resource}: the instance exited during the invocation`));
      pending.clear();
    });
  });
  try {
    await ready;
  } catch (e) {
    await proc.stop(1_000);
    throw e;
  }
  const event: EventHandler = (payload, context) =>
    new Promise((resolve, reject) => {
      if (!proc.alive()) return reject(new FunctionInvocationError(`${s.spec.resource}: the instance is not running`));
      const id = ++next;
      pending.set(id, { resolve, reject });
      const message: InvokeMessage = { id, event: payload.toString('base64'), context: fcContext(context, s.region, s.accountId, s.credentials) };
      child.send(message);
    });
  return { ...proc, file: bundle, event };
}
