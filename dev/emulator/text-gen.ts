// Deterministic text from a prompt, in token-sized pieces so streams can be cut into chunks and token counts
// are exact; also the hashing the emulator uses for stable pseudo-randomness (embeddings, media bytes).

/** FNV-1a, 32 bit. */
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: small, fast, seedable; returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKEN_RE = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]|[A-Za-z0-9_']+|[^\sA-Za-z0-9_']/g;

/** Approximate token count: one per word, per punctuation mark and per CJK character. */
export function countTokens(text: string): number {
  let n = 0;
  TOKEN_RE.lastIndex = 0;
  while (TOKEN_RE.exec(text)) n++;
  return n;
}

const STOP = new Set(
  'a an and are as at be but by can could do does for from had has have how i if in into is it its me my no not of on or our please so tell than that the their them then there these they this to us was we what when where which who why will with would you your about give write answer explain describe json'.split(' '),
);

/** Distinct content words of a text, in order of appearance. */
export function keywords(text: string, max = 4): string[] {
  const out: string[] = [];
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? []) {
    if (w.length < 3 || STOP.has(w) || out.includes(w)) continue;
    out.push(w);
    if (out.length >= max) break;
  }
  return out;
}

const VOCAB = (
  'the a of and to in is that it for as with on this by be are from at or an which can one more also each ' +
  'system model answer result request stream token value shape layer step detail example time data point ' +
  'clear simple careful short steady useful direct small large first next final main other common exact'
).split(' ');

export interface GeneratedText {
  /** Token-sized pieces; joined they are the text. */
  pieces: string[];
  text: string;
}

function assemble(pieces: string[]): GeneratedText {
  return { pieces, text: pieces.join('') };
}

function sentenceWords(rand: () => number, count: number): string[] {
  const words: string[] = [];
  for (let i = 0; i < count; i++) words.push(VOCAB[Math.floor(rand() * VOCAB.length)]!);
  return words;
}

/**
 * An answer of exactly `tokens` pieces that names the prompt's keywords first, so a reply visibly depends
 * on its prompt. `variant` changes the wording (reasoning vs answer, choice index).
 */
export function generateText(prompt: string, tokens: number, variant = 'answer'): GeneratedText {
  const rand = prng(hash32(prompt, hash32(variant)));
  const kw = keywords(prompt);
  const opener = variant.startsWith('reasoning')
    ? ['Let', ' me', ' think', ' about']
    : ['Here', ' is', ' an', ' answer', ' about'];
  const pieces: string[] = [...opener];
  kw.forEach((w, i) => {
    if (i > 0) pieces.push(i === kw.length - 1 ? ' and' : ',');
    pieces.push(` ${w}`);
  });
  if (!kw.length) pieces.push(' your', ' message');
  pieces.push('.');
  while (pieces.length < tokens) {
    const words = sentenceWords(rand, 4 + Math.floor(rand() * 8));
    words.forEach((w, i) => pieces.push(i === 0 ? ` ${w[0]!.toUpperCase()}${w.slice(1)}` : ` ${w}`));
    pieces.push('.');
  }
  return assemble(pieces.slice(0, Math.max(1, tokens)));
}

/** Default answer length for a prompt: 24–63 tokens, stable per prompt. */
export function defaultLength(prompt: string): number {
  return 24 + (hash32(prompt, 7) % 40);
}

/** Splits text into pieces of about `size` characters (for streaming JSON and tool arguments). */
export function splitText(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [''];
}

/** Groups pieces into stream deltas of `per` pieces each. */
export function groupPieces(pieces: readonly string[], per = 3): string[] {
  const out: string[] = [];
  for (let i = 0; i < pieces.length; i += per) out.push(pieces.slice(i, i + per).join(''));
  return out;
}

/** A capitalised phrase from the prompt (e.g. a place name), or its first keyword. */
export function salientPhrase(prompt: string): string {
  const caps = prompt.match(/\b[A-Z][\p{L}]+(?: [A-Z][\p{L}]+)*/gu) ?? [];
  const phrase = caps.find((p) => !STOP.has(p.split(' ')[0]!.toLowerCase()));
  return phrase ?? keywords(prompt, 1)[0] ?? 'example';
}
