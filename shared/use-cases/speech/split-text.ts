// Splitting a text for speech synthesis into parts the model accepts (each at most its character limit, a CJK
// character counting 2): at sentence ends first, then at clause marks, then (a run with neither) anywhere.
import { speechCharacters } from '../../catalog/pricing.ts';

/** Ends a sentence: the mark, closing quotes or brackets after it, then any whitespace. */
const SENTENCE_END = /[。！？!?；;…\n]+["'”’」』）)\]]*\s*|\.(?:["'”’)\]]*)(?:\s+|$)/gu;
/** Ends a clause inside a sentence. */
const CLAUSE_END = /[，,、：:]+\s*|\s+/gu;

/** `text` cut after each match of `ends` (the pieces, concatenated, are the text). */
function cutAfter(text: string, ends: RegExp): string[] {
  const pieces: string[] = [];
  let from = 0;
  for (const m of text.matchAll(ends)) {
    const to = (m.index ?? 0) + m[0].length;
    if (to > from) pieces.push(text.slice(from, to));
    from = to;
  }
  if (from < text.length) pieces.push(text.slice(from));
  return pieces;
}

/** A run with no boundary at all, cut by code points so each piece costs at most `max`. */
function hardCut(text: string, max: number): string[] {
  const pieces: string[] = [];
  let cur = '';
  for (const ch of text) {
    if (cur && speechCharacters(cur + ch) > max) {
      pieces.push(cur);
      cur = '';
    }
    cur += ch;
  }
  if (cur) pieces.push(cur);
  return pieces;
}

/** Packs pieces in order into parts of at most `max`, breaking a piece that alone is too long at `finer`. */
function pack(pieces: readonly string[], max: number, finer: (piece: string) => string[]): string[] {
  const parts: string[] = [];
  let cur = '';
  for (const piece of pieces) {
    if (speechCharacters(cur + piece) <= max) {
      cur += piece;
      continue;
    }
    if (cur) parts.push(cur);
    cur = '';
    if (speechCharacters(piece) <= max) {
      cur = piece;
      continue;
    }
    const sub = finer(piece);
    // the last sub-piece may still take the next pieces
    parts.push(...sub.slice(0, -1));
    cur = sub.at(-1) ?? '';
  }
  if (cur) parts.push(cur);
  return parts;
}

/**
 * The parts of `text` to synthesise in order, each trimmed and costing at most `maxCharacters` (see
 * speechCharacters); whitespace between them is dropped, nothing else. A text that fits is one part.
 */
export function splitSpeechText(text: string, maxCharacters: number): string[] {
  const clauses = (sentence: string) => pack(cutAfter(sentence, CLAUSE_END), maxCharacters, (c) => hardCut(c, maxCharacters));
  // a part is trimmed after packing, so trimming never makes a part longer than what was measured
  return pack(cutAfter(text, SENTENCE_END), maxCharacters, clauses)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}
