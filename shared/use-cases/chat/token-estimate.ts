// A tokenizer-free estimate of a text's token count, to refuse a text clearly over a model's per-text limit
// (naming its index) before its batch goes upstream.

/**
 * Typical characters per token of Qwen's tokenizer: English and code ~4, other alphabetic scripts ~2, CJK ~1.5.
 * A borderline text may pass here and be refused by DashScope instead, whose error then names the batch.
 */
const ASCII_PER_TOKEN = 4;
const ALPHABETIC_PER_TOKEN = 2;
const CJK_PER_TOKEN = 1.5;

export function estimateTokens(text: string): number {
  let ascii = 0;
  let alphabetic = 0;
  let cjk = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) ascii++;
    else if (c < 0x2e80) alphabetic++;
    else cjk++;
  }
  return Math.ceil(ascii / ASCII_PER_TOKEN + alphabetic / ALPHABETIC_PER_TOKEN + cjk / CJK_PER_TOKEN);
}
