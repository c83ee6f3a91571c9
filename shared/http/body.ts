// Reading request bodies safely: a byte cap enforced while reading (413 before the whole body is buffered),
// JSON only with a JSON content type and a nesting cap (shared/json).
import type { IncomingMessage } from 'node:http';
import { JsonInputError, parseJson } from '../json/parse-json.ts';
import { readCapped } from '../streams/read-capped.ts';
import { clip } from '../text/clip.ts';
import { InvalidRequestError } from '../validation/request-errors.ts';
import { HttpError } from './errors.ts';

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw new HttpError(413, 'request_too_large', `request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`);
  }
  if (declared > 0) {
    // A body that came with its headers (a small one usually does: one packet) is parsed right after the
    // 'request' event, so a microtask later all of it is in the request's buffer: taken in one read, without
    // the round of stream events a listener waits for (about 50 µs on chat-stream's path in a server that
    // sleeps between requests). resume() lets the request finish ('end') as node:http expects.
    await Promise.resolve();
    if (req.readableLength === declared && !req.readableFlowing && req.readableEncoding === null) {
      const body = req.read() as Buffer;
      req.resume();
      return body;
    }
  }
  return readCapped(req, maxBytes, {
    tooLarge: () => new HttpError(413, 'request_too_large', `request body exceeds the limit of ${maxBytes} bytes`),
    closedEarly: () => new HttpError(400, 'request_aborted', 'the client closed the connection before the request body was complete'),
    onOverflow: 'drain',
  });
}

/** Reads and parses a JSON body; 415 for another content type, 400 for malformed or too deeply nested JSON. */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = String(req.headers['content-type'] ?? '');
  if (type && !/^application\/(.+\+)?json\b/i.test(type)) {
    req.resume();
    throw new HttpError(415, 'unsupported_media_type', `expected content-type application/json, got '${clip(type, 100)}'`);
  }
  const raw = await readBody(req, maxBytes);
  if (raw.length === 0) throw new InvalidRequestError('invalid_json', 'request body is empty; expected a JSON object');
  try {
    return parseJson(raw);
  } catch (e) {
    if (e instanceof JsonInputError) throw new InvalidRequestError(e.code, `request body ${e.message}`);
    throw e;
  }
}
