// A web function (custom runtime) as FC runs it: `customRuntimeConfig.command args` in the bundle's folder,
// listening on FC_CUSTOM_LISTEN_PORT; HTTP calls proxied through unbuffered, event calls as POST /invoke.
import { spawn } from 'node:child_process';
import { Agent, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError } from '../../shared/http/errors.ts';
import { sendError } from '../../shared/http/respond.ts';
import type { CloudCredentials } from '../../shared/runtime/fc-credentials.ts';
import type { EventHandler, HttpHandler } from '../../shared/runtime/fc.ts';
import type { FunctionSpec } from '../runtime/s-yaml.ts';
import { supervise, type Supervised } from './child-process.ts';
import { fcHeaders } from './fc-headers.ts';

export interface WebFunctionStart {
  spec: FunctionSpec;
  codeDir: string;
  env: NodeJS.ProcessEnv;
  port: number;
  /** The Node binary that stands for the runtime's node (the layer's /opt/nodejsNN/bin/node, or `node`). */
  nodeBinary: string;
  region: string;
  accountId: string;
  credentials: CloudCredentials;
  output: (line: string) => void;
  readyTimeoutMs?: number;
}

export interface WebFunctionProcess extends Supervised {
  port: number;
  http: HttpHandler;
  event: EventHandler;
}

export class FunctionInvocationError extends Error {
  override name = 'FunctionInvocationError';
}

// the connection between FC's front end and the instance carries no hop-by-hop state of the client's
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'];
const withoutHopByHop = (h: Record<string, string | string[] | undefined>) => Object.fromEntries(Object.entries(h).filter(([k]) => !HOP_BY_HOP.includes(k)));
// x-fc-* headers are FC's to set: a client's own (credentials, control path) never reach the instance
const fromClient = (h: Record<string, string | string[] | undefined>) => Object.fromEntries(Object.entries(withoutHopByHop(h)).filter(([k]) => !k.startsWith('x-fc-')));

/** `node`, or an official Node layer's binary (`/opt/nodejs22/bin/node`). */
const isNodeCommand = (command: string): boolean => command === 'node' || /^\/opt\/nodejs\d+\/bin\/node$/.test(command);

export async function startWebFunction(s: WebFunctionStart): Promise<WebFunctionProcess> {
  const rt = s.spec.customRuntime!;
  // the layer's node on FC; here, a Node of the layer's version (or the one running this script)
  const command = isNodeCommand(rt.command[0]!) ? s.nodeBinary : rt.command[0]!;
  const child = spawn(command, [...rt.command.slice(1), ...rt.args], { cwd: s.codeDir, env: s.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = supervise(child, s.spec.resource, s.output);
  const agent = new Agent({ keepAlive: true });
  const base = { spec: s.spec, region: s.region, accountId: s.accountId, credentials: s.credentials };

  const http: HttpHandler = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<void>((resolve) => {
      const requestId = String(req.headers['x-fc-request-id']);
      const headers = { ...fromClient(req.headers), ...fcHeaders({ ...base, requestId, controlPath: '/http-invoke' }) };
      const up = request({ host: '127.0.0.1', port: s.port, method: req.method, path: req.url, headers, agent }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, withoutHopByHop(upRes.headers));
        // piped chunk by chunk: an SSE answer reaches the client as the function writes it
        upRes.pipe(res);
        upRes.once('end', resolve);
        upRes.once('aborted', () => {
          res.destroy();
          resolve();
        });
      });
      up.once('error', () => {
        if (res.headersSent) res.destroy();
        else sendError(res, new HttpError(502, 'function_unavailable', `${s.spec.resource} did not answer`), requestId);
        resolve();
      });
      // a client that goes away cancels the call to the function, which cancels its upstream call
      res.once('close', () => {
        if (!res.writableFinished) up.destroy();
        resolve();
      });
      req.pipe(up);
    });

  const event: EventHandler = async (payload, context) => {
    const headers = fcHeaders({ ...base, requestId: context.requestId, controlPath: '/invoke', ...(context.retryCount !== undefined ? { retryCount: context.retryCount } : {}) });
    const res = await fetch(`http://127.0.0.1:${s.port}/invoke`, { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: payload });
    const text = await res.text();
    // FC reads a failed event call from x-fc-status: 404 (the custom runtime contract)
    if (res.status !== 200 || res.headers.get('x-fc-status') === '404') throw new FunctionInvocationError(`${s.spec.resource} failed: ${text.slice(0, 500)}`);
    try {
      return text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      return text;
    }
  };

  try {
    await untilHealthy(proc, s.port, s.spec.resource, s.readyTimeoutMs ?? 20_000);
  } catch (e) {
    await proc.stop(1_000);
    throw e;
  }
  const stop = async (graceMs?: number) => {
    agent.destroy();
    await proc.stop(graceMs);
  };
  return { ...proc, stop, port: s.port, http, event };
}

async function untilHealthy(proc: Supervised, port: number, name: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.alive()) throw new Error(`${name} exited before it served HTTP (exit ${proc.child.exitCode ?? proc.child.signalCode})`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
      async (r) => {
        await r.body?.cancel();
        return r.ok;
      },
      () => false,
    );
    if (ok) return;
    if (Date.now() > end) throw new Error(`${name} did not answer /healthz on port ${port} within ${timeoutMs} ms`);
    await sleep(100);
  }
}
