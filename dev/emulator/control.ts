// The control API under /_emulator/ (no key, no faults, not logged): queue and clear faults, read the
// request log, move the clock, reset state, and ask what a result URL should contain.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { faultRuleSchema, type FaultQueue } from './faults.ts';
import { expectedMedia } from './media.ts';
import type { RequestLog } from './request-log.ts';

export interface ControlDeps {
  queue: FaultQueue;
  log: RequestLog;
  advance(ms: number): number;
  nowMs(): number;
  reset(): void;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) });
  res.end(payload);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

const clockSchema = z.object({ advanceMs: z.number().min(0) });

export async function handleControl(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, deps: ControlDeps): Promise<void> {
  const method = req.method ?? 'GET';
  const key = `${method} ${path.replace(/\/+$/, '')}`;
  try {
    switch (key) {
      case 'POST /_emulator/faults': {
        const rule = faultRuleSchema.safeParse(await readJson(req));
        if (!rule.success) return reply(res, 400, { error: { code: 'invalid_fault', message: rule.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } });
        return reply(res, 200, { id: deps.queue.add(rule.data) });
      }
      case 'GET /_emulator/faults':
        return reply(res, 200, deps.queue.list());
      case 'DELETE /_emulator/faults':
        deps.queue.clear();
        return reply(res, 200, { cleared: true });
      case 'GET /_emulator/requests':
        return reply(res, 200, deps.log.list());
      case 'POST /_emulator/clock': {
        const b = clockSchema.safeParse(await readJson(req));
        if (!b.success) return reply(res, 400, { error: { code: 'invalid_clock', message: 'body must be {"advanceMs": n}' } });
        return reply(res, 200, { nowMs: deps.advance(b.data.advanceMs) });
      }
      case 'GET /_emulator/clock':
        return reply(res, 200, { nowMs: deps.nowMs() });
      case 'POST /_emulator/reset':
        deps.reset();
        return reply(res, 200, { reset: true });
      case 'GET /_emulator/expected': {
        const url = query.get('url');
        if (!url) return reply(res, 400, { error: { code: 'missing_url', message: 'query parameter url is required' } });
        return reply(res, 200, await expectedMedia(url));
      }
      default:
        return reply(res, 404, { error: { code: 'not_found', message: `no control endpoint ${key}` } });
    }
  } catch (e) {
    return reply(res, 400, { error: { code: 'bad_request', message: (e as Error).message } });
  }
}
