// JSON.parse for text from outside (HTTP bodies, uploads, trigger events, manifests) with a nesting cap
// of MAX_JSON_DEPTH arrays/objects, checked by one iterative scan before parsing.
import { InvalidRequestError } from '../validation/request-errors.ts';

/** Deepest nesting of arrays and objects accepted; real requests, events and manifests stay far below it. */
export const MAX_JSON_DEPTH = 64;

export type JsonErrorCode = 'invalid_json' | 'json_too_deep';

/** Text that is not JSON, or nests too deep: a request that can never be valid as it is. */
export class JsonInputError extends InvalidRequestError {
  override name = 'JsonInputError';
  declare readonly code: JsonErrorCode;
  constructor(code: JsonErrorCode, message: string) {
    super(code, message);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether `json` opens more than `limit` arrays/objects at once, brackets inside strings not counted. One pass,
 * no allocation, stops at the first level past the limit. Malformed text may be misjudged, but JSON.parse
 * refuses it anyway. A Buffer is scanned as bytes (about twice as fast as charCodeAt on the decoded string,
 * measured on a chat body): in UTF-8 no byte of a multi-byte character is a quote, a backslash, a bracket or a brace.
 */
export function nestsDeeperThan(json: Buffer | string, limit: number): boolean {
  return typeof json === 'string' ? textNestsDeeperThan(json, limit) : bytesNestDeeperThan(json, limit);
}

function bytesNestDeeperThan(bytes: Buffer, limit: number): boolean {
  let depth = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i];
    if (c === QUOTE) {
      // the whole string in an inner loop: an escape skips the byte after it
      for (i++; i < n; i++) {
        const d = bytes[i];
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}

function textNestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}

/**
 * Parses JSON (UTF-8 bytes or text); JsonInputError `json_too_deep` past MAX_JSON_DEPTH, `invalid_json` for
 * malformed input. Its message has no subject ('is not valid JSON: …') so each caller can name what it read.
 */
export function parseJson(json: Buffer | string, limit = MAX_JSON_DEPTH): unknown {
  // zod and JSON.stringify recurse: a body nested thousands deep would overflow the stack after JSON.parse
  if (nestsDeeperThan(json, limit)) {
    throw new JsonInputError('json_too_deep', `nests arrays and objects more than ${limit} levels deep; at most ${limit} levels are accepted`);
  }
  try {
    return JSON.parse(typeof json === 'string' ? json : json.toString('utf8'));
  } catch (e) {
    throw new JsonInputError('invalid_json', `is not valid JSON: ${(e as Error).message.slice(0, 200)}`);
  }
}
