// The DashScope client's keep-alive pool: node:http(s) agents whose connections carry an idle timer only while
// they sit unused in the pool, so that reading a stream does not re-arm a socket timer on every read.
import { Agent as HttpAgent, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';

/** A pooled connection unused this long is closed (sooner when the server's Keep-Alive header says so). */
const IDLE_MS = 10_000;

// The agent sets a pooled socket's timeout (the server's hint, or none) when the socket is released; a
// timeout left on it would stay armed while the next request uses it. Our deadlines govern requests.
function keptIdle(kept: boolean, socket: Socket): boolean {
  if (kept && !(socket.timeout && socket.timeout < IDLE_MS)) socket.setTimeout(IDLE_MS);
  return kept;
}

/** The agent class with the pool's idle rule: a timer only while a connection sits unused. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeScript mixins require a constructor of any[]
function pooled<A extends new (...args: any[]) => HttpAgent>(Base: A): A {
  return class extends Base {
    override keepSocketAlive(socket: Socket): boolean {
      return keptIdle((super.keepSocketAlive as (s: Socket) => boolean)(socket), socket);
    }

    override reuseSocket(socket: Socket, request: ClientRequest): void {
      socket.setTimeout(0);
      super.reuseSocket(socket, request);
    }
  };
}

const PoolHttpAgent = pooled(HttpAgent);
const PoolHttpsAgent = pooled(HttpsAgent);

/** The pool for an origin of this protocol. */
export function poolAgent(protocol: string): HttpAgent {
  return protocol === 'https:' ? new PoolHttpsAgent({ keepAlive: true }) : new PoolHttpAgent({ keepAlive: true });
}
