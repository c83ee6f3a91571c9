// The stand-in's control API under /_standin/: read what arrived, arm or clear faults, reset. Unsigned:
// it is for tests and scripts on the same machine, never part of EventBridge's surface.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { faultSchema, type Fault } from './faults.ts';
import type { WireEvent } from './wire.ts';

export interface ControlTarget {
  received(): WireEvent[];
  requests(): unknown[];
  buses(): string[];
  faults: { add(fault: Fault): void; clear(): void };
  reset(): void;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > 64 * 1024) throw new Error('control body too large');
  }
  return JSON.parse(text || 'null');
}

export async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL, target: ControlTarget): Promise<void> {
  const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case 'GET /_standin/events':
      return void json(200, { events: target.received() });
    case 'GET /_standin/requests':
      return void json(200, { requests: target.requests() });
    case 'GET /_standin/buses':
      return void json(200, { buses: target.buses() });
    case 'POST /_standin/faults': {
      const parsed = faultSchema.safeParse(await readJson(req).catch(() => undefined));
      if (!parsed.success) return void json(400, { error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      target.faults.add(parsed.data);
      return void res.writeHead(204).end();
    }
    case 'DELETE /_standin/faults':
      target.faults.clear();
      return void res.writeHead(204).end();
    case 'POST /_standin/reset':
      target.reset();
      return void res.writeHead(204).end();
    default:
      return void json(404, { error: `no control route ${route}` });
  }
}
