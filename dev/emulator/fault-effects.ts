// How transport faults act on a response: reset the socket now, after N body bytes (mid-stream, mid-
// download), or at the moment the handler commits its answer (the work is done, the reply is lost).
import type { ServerResponse } from 'node:http';
import type { RequestContext } from './context.ts';

type WriteFn = (chunk: unknown, ...rest: unknown[]) => boolean;
type EndFn = (...args: unknown[]) => ServerResponse;

function toBuffer(chunk: unknown, encoding?: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}

/** Destroys the connection at once with a TCP reset. */
export function resetNow(ctx: RequestContext): void {
  ctx.killedByFault = true;
  const socket = ctx.res.socket ?? ctx.req.socket;
  if (socket && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket?.destroy();
}

/** Lets `limit` body bytes through, then closes the connection before the body is complete. */
export function cutAfterBytes(ctx: RequestContext, limit: number): void {
  const res = ctx.res;
  const origWrite = res.write.bind(res) as WriteFn;
  let sent = 0;
  let cut = false;
  const cutNow = (last: Buffer) => {
    cut = true;
    ctx.killedByFault = true;
    const socket = res.socket ?? ctx.req.socket;
    if (last.length) origWrite(last, () => socket?.destroy());
    else if (!res.headersSent) resetNow(ctx);
    else socket?.end(); // flushes what was written, then closes before the response is complete
  };
  const write: WriteFn = (chunk, ...rest) => {
    if (cut) return false;
    const buf = toBuffer(chunk, rest[0]);
    if (sent + buf.length >= limit && !(limit === 0 && buf.length === 0)) {
      cutNow(buf.subarray(0, limit - sent));
      sent = limit;
      return false;
    }
    sent += buf.length;
    return origWrite(buf);
  };
  const end: EndFn = (...args) => {
    const first = args[0];
    if (first !== undefined && typeof first !== 'function') write(first, args[1]);
    if (!cut) {
      // The whole body fit under the limit: the fault still breaks the response before it completes.
      cutNow(Buffer.alloc(0));
    }
    return res;
  };
  Object.assign(res, { write, end });
}

/** The handler runs to completion (the work is committed) but its answer never reaches the client. */
export function resetOnCommit(ctx: RequestContext): void {
  const res = ctx.res;
  const kill = () => {
    if (!ctx.killedByFault) resetNow(ctx);
    return res;
  };
  Object.assign(res, {
    writeHead: kill,
    write: () => {
      kill();
      return false;
    },
    end: kill,
  });
}
