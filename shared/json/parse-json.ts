// JSON.parse for text from outside (HTTP bodies, uploads, trigger events, manifests) with a nesting cap of
// MAX_JSON_DEPTH arrays/objects, checked by one iterative scan first: zod and JSON.stringify recurse, so a
// body nested thousands deep would otherwise overflow the stack after JSON.parse had accepted it.

/** Deepest nesting of arrays and objects accepted; real requests, events and manifests stay far below it. */
export const MAX_JSON_DEPTH = 64;

export type JsonErrorCode = 'invalid_json' | 'json_too_deep';

export class JsonInputError extends Error {
  override name = 'JsonInputError';
  constructor(
    readonly code: JsonErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether `text` opens more than `limit` arrays/objects at once, brackets inside strings not counted. One pass
 * of charCodeAt, no allocation, stops at the first level past the limit. Malformed text may be misjudged, but
 * JSON.parse refuses it anyway.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}

/**
 * Parses JSON text; JsonInputError `json_too_deep` past MAX_JSON_DEPTH, `invalid_json` for malformed text. Its
 * message has no subject ('is not valid JSON: …') so each caller can name what it read ('request body …').
 */
export function parseJson(text: string, limit = MAX_JSON_DEPTH): unknown {
  if (nestsDeeperThan(text, limit)) {
    throw new JsonInputError('json_too_deep', `nests arrays and objects more than ${limit} levels deep; at most ${limit} levels are accepted`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new JsonInputError('invalid_json', `is not valid JSON: ${(e as Error).message.slice(0, 200)}`);
  }
}
