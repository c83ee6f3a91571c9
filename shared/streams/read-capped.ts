// Reads a whole stream (a request body, an upstream answer) into one Buffer with a byte cap, by listeners
// rather than `for await`: on the paths that use it, an async iterator cost more than the read itself.
import type { Readable } from 'node:stream';

export interface ReadCappedOptions {
  /** The rejection once more than maxBytes arrived. */
  tooLarge: () => Error;
  /** The rejection when the stream closes before its end without an error of its own. */
  closedEarly: () => Error;
  /**
   * What happens to the rest past the cap: `drain` reads it off (a request, so that the answer can still go
   * out on its connection), `destroy` cancels it (an upstream answer nobody will read).
   */
  onOverflow: 'drain' | 'destroy';
}

export function readCapped(stream: Readable, maxBytes: number, o: ReadCappedOptions): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    const settle = (error?: Error) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error) reject(error);
      else resolve(more ? Buffer.concat(more, size) : (first ?? Buffer.alloc(0)));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        settle(o.tooLarge());
        if (o.onOverflow === 'drain') stream.resume();
        else {
          // a destroyed stream may still emit its abort: someone must listen, or it is an uncaught error
          stream.on('error', () => undefined);
          stream.destroy();
        }
        return;
      }
      if (first === undefined) first = chunk;
      else (more ??= [first]).push(chunk);
    };
    const onEnd = () => settle();
    const onError = (err: Error) => settle(err);
    const onClose = () => settle(o.closedEarly());
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}
